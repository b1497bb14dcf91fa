//! [`conformance_tests!`]: one `#[tokio::test]` per check of the suite.

/// Writes one `#[tokio::test]` per check of the suite, each serving its
/// endpoints with `$serve`, an `async fn(Endpoint) -> Running` of the
/// calling test file (see the [crate docs](crate)).
///
/// The tests are grouped as `conformance::<group>::<check>`, so
/// `cargo test -p zap-foo conformance::limits` runs one group. The test
/// file needs `tokio` (with `macros` and `rt`) as a dev-dependency.
#[macro_export]
macro_rules! conformance_tests {
    ($serve:ident) => {
        $crate::__conformance_tests! {
            $serve;
            protocol: [
                python_client_frame_is_handled,
                dart_client_frame_without_headers_is_handled,
                null_headers_reach_the_handler_as_an_empty_map,
                non_object_headers_reach_the_handler_as_an_empty_map,
                header_values_reach_the_handler,
                missing_payload_reaches_the_handler_as_null,
                other_keys_are_ignored,
                sent_events_omit_headers_when_none_were_given,
                sent_events_carry_headers_when_given_even_empty,
                a_greeting_named_connected_reaches_the_client_as_an_event,
                events_of_one_connection_are_handled_in_order,
                a_fragmented_message_is_one_event,
                peer_sent_lifecycle_names_do_not_trigger_lifecycle_handlers,
            ];
            lifecycle: [
                connected_runs_before_any_other_handler,
                disconnected_runs_once_when_the_peer_closes,
                disconnected_runs_once_when_the_network_drops,
                disconnected_runs_once_when_the_server_closes,
                queued_events_are_written_before_the_close_frame,
                connections_that_leave_are_removed_from_the_router,
            ];
            failures: [
                a_handler_error_reaches_the_error_handler_and_the_connection_survives,
                a_handler_panic_reaches_the_error_handler_and_the_connection_survives,
                a_bad_typed_payload_reaches_the_error_handler,
                invalid_frames_raise_error_and_the_connection_survives,
                a_binary_frame_raises_error_and_the_connection_survives,
                a_failing_error_handler_is_contained,
                one_bad_client_never_harms_another,
            ];
            limits: [
                an_oversized_message_closes_that_connection_with_1009_and_no_other,
                an_oversized_fragmented_message_closes_with_1009,
                an_oversized_frame_is_refused_from_its_header,
                a_large_message_within_the_limit_is_accepted,
                client_pings_are_answered,
                a_peer_that_never_answers_is_disconnected_after_the_idle_timeout,
                a_peer_that_answers_pings_stays_connected,
                a_slow_reader_is_disconnected_when_its_outbound_queue_overflows,
                a_peer_still_writing_an_oversized_frame_reads_its_1009_not_a_reset,
            ];
            rooms: [
                a_room_broadcast_reaches_members_except_the_sender,
                joining_twice_is_reported_and_counted_once,
                leaving_stops_delivery_and_empty_rooms_disappear,
                members_carry_their_metadata,
                a_connection_leaves_every_room_when_it_disconnects,
                a_broadcast_to_everyone_reaches_every_connection,
                a_connection_is_sent_to_from_anywhere_in_the_process,
                a_room_of_many_gets_each_broadcast_exactly_once,
            ];
            handshake: [
                the_authorization_hook_refuses_with_401_and_403,
                what_the_authorization_hook_stores_reaches_the_handlers,
                handshake_data_reaches_the_connected_handler,
                an_id_strategy_names_connections_and_duplicates_are_refused,
                a_plain_http_request_is_not_upgraded,
            ];
            shutdown: [
                cancelling_the_shutdown_token_closes_every_session_with_1001,
            ];
            flood: [a_flooder_is_throttled_and_others_are_not_slowed,];
            grace: [a_handler_that_never_finishes_is_aborted_after_the_shutdown_grace,];
            slow_reader: [
                a_slow_reader_of_1mb_broadcasts_holds_bounded_memory,
                an_overflowing_slow_reader_reads_a_1008_close_frame,
                a_slow_reader_in_a_broadcast_room_reads_its_1008_after_a_bounded_backlog,
            ];
            settings: [
                a_small_read_buffer_reads_large_messages_whole,
                an_offered_subprotocol_is_negotiated,
                upgrades_past_max_connections_are_answered_503,
            ];
            violations: [
                reserved_bits_close_with_1002,
                an_unknown_opcode_closes_with_1002,
                invalid_utf8_closes_with_1007,
                an_unmasked_client_frame_closes_with_1002,
                an_oversized_control_frame_closes_with_1002,
                a_fragmented_control_frame_closes_with_1002,
                a_continuation_without_a_start_closes_with_1002,
                an_invalid_close_code_is_answered_with_1002,
                an_invalid_utf8_close_reason_is_answered_with_1007,
                half_sent_upgrade_requests_are_dropped_after_the_handshake_timeout,
            ];
        }
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_tests {
    ($serve:ident; $($group:ident: [$($(#[$attr:meta])* $check:ident,)*];)*) => {
        mod conformance {
            $(
                mod $group {
                    $(
                        #[::tokio::test]
                        $(#[$attr])*
                        async fn $check() {
                            $crate::checks::$group::$check(&super::super::$serve).await;
                        }
                    )*
                }
            )*
        }
    };
}
