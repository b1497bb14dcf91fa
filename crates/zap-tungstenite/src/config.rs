//! [`websocket_config`]: tungstenite's settings, derived from zap-core's
//! [`ConnectionConfig`] and nothing else.

use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use zap_core::ConnectionConfig;

/// The bytes tungstenite may buffer for writing before a flush.
const WRITE_BUFFER: usize = 64 * 1024;

/// tungstenite's configuration for `config`: the bytes read from the socket
/// at a time (the chunk [`WsTransport::server`](crate::WsTransport::server)
/// borrows while reading; tungstenite's own buffer when the WebSocket is
/// made by hand, as zap-server did before `server`), its message
/// and frame limits (`max_message_size`, so an oversized message is refused
/// from its frame header), and a write buffer bounded to what one batch of
/// the largest messages needs.
///
/// ```
/// use zap_core::ConnectionConfig;
/// let config = ConnectionConfig::default().read_buffer_size(1024).max_message_size(4096);
/// let ws = zap_tungstenite::websocket_config(&config);
/// assert_eq!(ws.read_buffer_size, 1024);
/// assert_eq!(ws.max_message_size, Some(4096));
/// assert_eq!(ws.max_frame_size, Some(4096));
/// ```
pub fn websocket_config(config: &ConnectionConfig) -> WebSocketConfig {
    let max = config.max_message_size;
    WebSocketConfig::default()
        .read_buffer_size(config.read_buffer_size)
        .write_buffer_size(WRITE_BUFFER)
        .max_write_buffer_size(WRITE_BUFFER + max.saturating_mul(2))
        .max_message_size(Some(max))
        .max_frame_size(Some(max))
}
