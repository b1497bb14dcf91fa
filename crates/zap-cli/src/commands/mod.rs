//! One module per subcommand.

pub(crate) mod bench;
pub(crate) mod listen;
pub(crate) mod repl;
pub(crate) mod send;
pub(crate) mod serve;
pub(crate) mod wait;
