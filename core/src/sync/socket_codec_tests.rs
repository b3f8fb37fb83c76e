use super::*;

/// An order-ish JSON record; `i` varies the ids the way a day's orders do: random
/// to a compressor, as uuids are.
fn record(i: usize) -> Vec<u8> {
    let id = (i as u64 ^ 0x5bd1_e995).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    format!(
        r#"{{"order":"01a22eab-{id:016x}","number":"1130-{i:04}","name":"王女士","lines":[["0192a1b4-sku-{k:04}",2]]}}"#,
        k = i % 80
    )
    .into_bytes()
}

#[test]
fn frames_come_back_in_order_byte_for_byte() {
    let (mut tx, mut rx) = (FrameCompressor::new(), FrameDecompressor::new());
    for i in 0..500 {
        let frame = record(i);
        let message = tx.compress(&frame).unwrap();
        assert_eq!(rx.decompress(&message).unwrap(), Some(frame));
    }
}

#[test]
fn later_frames_use_the_earlier_ones() {
    let mut tx = FrameCompressor::new();
    let day: Vec<u8> = (0..200).flat_map(record).collect();
    let first = tx.compress(&day).unwrap().len();
    // The same ids and names again: a fraction of the first frame.
    let again = tx.compress(&day).unwrap().len();
    assert!(again * 10 < first, "first {first} bytes, again {again}");
    // A fresh stream pays in full.
    let mut fresh = FrameCompressor::new();
    assert!(fresh.compress(&day).unwrap().len() * 10 > first * 9);
}

#[test]
fn an_ended_stream_is_freed_on_both_sides_and_opens_again() {
    let (mut tx, mut rx) = (FrameCompressor::new(), FrameDecompressor::new());
    assert_eq!(tx.end(), None, "nothing to end before the first frame");
    let m = tx.compress(&record(1)).unwrap();
    assert_eq!(rx.decompress(&m).unwrap(), Some(record(1)));
    assert!(tx.is_open());
    let end = tx.end().unwrap();
    assert_eq!(end, vec![END]);
    assert!(!tx.is_open());
    assert_eq!(rx.decompress(&end).unwrap(), None);
    assert!(rx.stream.is_none());
    let m = tx.compress(&record(2)).unwrap();
    assert_eq!(rx.decompress(&m).unwrap(), Some(record(2)));
}

#[test]
fn a_zip_bomb_is_refused_without_holding_it() {
    // 64 MiB of zeros compress to a few KB, within our window.
    let zeros = vec![0u8; 64 * 1024 * 1024];
    let bomb = FrameCompressor::new().compress(&zeros).unwrap();
    assert!(bomb.len() < 64 * 1024, "{}", bomb.len());
    let mut rx = FrameDecompressor::new();
    assert_eq!(
        rx.decompress(&bomb),
        Err(CodecError::TooLarge {
            max: MAX_FRAME_BYTES
        })
    );
    // Exactly the limit is a frame.
    let mut tx = FrameCompressor::new();
    let full = vec![7u8; MAX_FRAME_BYTES];
    let m = tx.compress(&full).unwrap();
    assert_eq!(FrameDecompressor::new().decompress(&m).unwrap(), Some(full));
}

#[test]
fn a_window_larger_than_ours_is_refused() {
    let mut enc = zstd::stream::write::Encoder::new(vec![FRAME], 3).unwrap();
    enc.window_log(WINDOW_LOG + 4).unwrap();
    // Past the largest window a level-3 stream picks on its own.
    enc.set_pledged_src_size(None).unwrap();
    enc.write_all(&vec![1u8; 1 << (WINDOW_LOG + 3)]).unwrap();
    enc.flush().unwrap();
    let message = enc.get_ref().clone();
    let got = FrameDecompressor::new().decompress(&message);
    assert!(matches!(got, Err(CodecError::Corrupt(_))), "{got:?}");
}

#[test]
fn hostile_messages_say_what_was_wrong() {
    let mut rx = FrameDecompressor::new();
    assert_eq!(rx.decompress(&[]), Err(CodecError::Empty));
    assert_eq!(
        rx.decompress(&[0x10, 1, 2]),
        Err(CodecError::UnknownTag(0x10))
    );
    assert_eq!(rx.decompress(&[END, 0]), Err(CodecError::EndWithBytes(1)));
    assert!(matches!(
        rx.decompress(&[FRAME, 0xde, 0xad, 0xbe, 0xef, 1, 2, 3]),
        Err(CodecError::Corrupt(_))
    ));
    // Half a frame decodes to what it holds so far, never to a panic; the next
    // message cannot make sense of the rest.
    let mut tx = FrameCompressor::new();
    let m = tx
        .compress(&(0..50).flat_map(record).collect::<Vec<_>>())
        .unwrap();
    let mut rx = FrameDecompressor::new();
    let half = rx.decompress(&m[..m.len() / 2]);
    assert!(matches!(half, Ok(Some(_)) | Err(CodecError::Corrupt(_))));
}

#[test]
fn a_sockets_streams_carry_frames_and_end_only_when_idle() {
    let (mut device, mut server) = (SocketStreams::new(), SocketStreams::new());
    let hello = Frame::Hello {
        device: crate::ids::DeviceId::new(),
    };
    let message = device.pack(&hello).unwrap();
    assert_eq!(server.unpack(&message).unwrap(), Some(hello));
    assert_eq!(device.end_if_idle(), None, "it just sent");
    // Quiet past IDLE_MS: the end, once, and the peer takes it.
    device.last_sent -= Duration::from_millis(IDLE_MS);
    let end = device.end_if_idle().expect("the stream ends when idle");
    assert_eq!(server.unpack(&end).unwrap(), None);
    assert_eq!(device.end_if_idle(), None, "nothing left to end");
    // Bytes that are not a frame come back as the wire's error.
    let junk = device.pack_bytes(&[0xff, 0x00]).unwrap();
    assert!(server.unpack(&junk).is_err());
}
