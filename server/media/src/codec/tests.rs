#![allow(clippy::unwrap_used)] // test code on fixed inputs: a panic is the report

use super::*;

#[test]
fn codec_table() {
    let names: Vec<_> = Codec::ALL.iter().map(|c| c.name()).collect();
    assert_eq!(names, ["PCMU", "PCMA", "G722", "G729", "opus"]);
    let clocks: Vec<_> = Codec::ALL.iter().map(|c| c.rtp_clock()).collect();
    assert_eq!(clocks, [8000, 8000, 8000, 8000, 48000]);
    let rates: Vec<_> = Codec::ALL.iter().map(|c| c.pcm_rate()).collect();
    assert_eq!(rates, [8000, 8000, 16000, 8000, 48000]);
    let ticks: Vec<_> = Codec::ALL.iter().map(|c| c.rtp_ticks_per_frame()).collect();
    assert_eq!(ticks, [160, 160, 160, 160, 960]);
    let pts: Vec<_> = Codec::ALL.iter().map(|c| c.static_payload_type()).collect();
    assert_eq!(pts, [Some(0), Some(8), Some(9), Some(18), None]);
    let ch: Vec<_> = Codec::ALL.iter().map(|c| c.channels()).collect();
    assert_eq!(ch, [1, 1, 1, 1, 2]);
}

#[test]
fn from_rtpmap() {
    assert_eq!(Codec::from_rtpmap("OPUS", 48000), Some(Codec::Opus));
    assert_eq!(Codec::from_rtpmap("opus", 48000), Some(Codec::Opus));
    assert_eq!(Codec::from_rtpmap("pcmu", 8000), Some(Codec::Pcmu));
    assert_eq!(Codec::from_rtpmap("G722", 8000), Some(Codec::G722));
    assert_eq!(Codec::from_rtpmap("g729", 8000), Some(Codec::G729));
    assert_eq!(Codec::from_rtpmap("G722", 16000), None);
    assert_eq!(Codec::from_rtpmap("PCMU", 16000), None);
    assert_eq!(Codec::from_rtpmap("telephone-event", 8000), None);
}

#[test]
fn rates_are_checked() {
    let o = EncoderOptions::default();
    assert!(matches!(
        encoder(Codec::Pcmu, 16000, &o),
        Err(CodecError::Rate {
            codec: Codec::Pcmu,
            rate: 16000
        })
    ));
    assert!(matches!(
        decoder(Codec::G722, 8000),
        Err(CodecError::Rate {
            codec: Codec::G722,
            rate: 8000
        })
    ));
    assert!(matches!(
        encoder(Codec::G729, 16000, &o),
        Err(CodecError::Rate { .. })
    ));
    assert!(matches!(
        encoder(Codec::Opus, 44100, &o),
        Err(CodecError::Rate { .. })
    ));
    assert!(matches!(
        decoder(Codec::Opus, 11025),
        Err(CodecError::Rate { .. })
    ));
    for rate in [8000, 12000, 16000, 24000, 48000] {
        assert_eq!(encoder(Codec::Opus, rate, &o).unwrap().input_rate(), rate);
        assert_eq!(decoder(Codec::Opus, rate).unwrap().output_rate(), rate);
    }
    for c in Codec::ALL {
        if c == Codec::G729 && cfg!(not(feature = "g729")) {
            assert!(matches!(
                encoder(c, 8000, &o),
                Err(CodecError::Unavailable(Codec::G729))
            ));
            continue;
        }
        let e = encoder(c, c.pcm_rate(), &o).unwrap();
        assert_eq!((e.codec(), e.input_rate()), (c, c.pcm_rate()));
        let d = decoder(c, c.pcm_rate()).unwrap();
        assert_eq!((d.codec(), d.output_rate()), (c, c.pcm_rate()));
    }
}

#[test]
fn defaults() {
    let o = EncoderOptions::default();
    assert_eq!(
        (o.opus_complexity, o.opus_fec, o.opus_bitrate),
        (5, true, None)
    );
}
