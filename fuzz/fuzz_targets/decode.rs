//! Fuzz target: the frame decoder never panics on any bytes, and every frame
//! it accepts re-encodes into a frame that decodes to the same event.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(event) = zap_protocol::decode_slice(data) {
        let again = zap_protocol::decode(event.encode().as_str())
            .expect("a re-encoded event must decode");
        assert_eq!(again, event);
    }
});
