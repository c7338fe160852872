//! libbcg729 (Belledonne's G.729 Annex A/B codec; Debian libbcg729-dev, headers in
//! /usr/include/bcg729/{encoder,decoder}.h, version 1.1.1).

use std::ptr::NonNull;

/// Samples in one 10 ms G.729 frame.
pub(crate) const FRAME_SAMPLES: usize = 80;
/// Bytes of one voice frame.
pub(crate) const FRAME_BYTES: usize = 10;

#[repr(C)]
struct EncoderContext {
    _opaque: [u8; 0],
}

#[repr(C)]
struct DecoderContext {
    _opaque: [u8; 0],
}

unsafe extern "C" {
    fn initBcg729EncoderChannel(enable_vad: u8) -> *mut EncoderContext;
    fn closeBcg729EncoderChannel(ctx: *mut EncoderContext);
    fn bcg729Encoder(
        ctx: *mut EncoderContext,
        input_frame: *const i16,
        bit_stream: *mut u8,
        bit_stream_length: *mut u8,
    );
    fn initBcg729DecoderChannel() -> *mut DecoderContext;
    fn closeBcg729DecoderChannel(ctx: *mut DecoderContext);
    fn bcg729Decoder(
        ctx: *mut DecoderContext,
        bit_stream: *const u8,
        bit_stream_length: u8,
        frame_erasure_flag: u8,
        sid_frame_flag: u8,
        rfc3389_payload_flag: u8,
        signal: *mut i16,
    );
}

/// One encoder channel (its own filter memories), freed on drop.
pub(crate) struct EncoderChannel(NonNull<EncoderContext>);

// SAFETY: the context is plain heap memory owned by this value alone; libbcg729 keeps no
// thread-local or global mutable state, so moving it to another thread is sound.
unsafe impl Send for EncoderChannel {}

impl EncoderChannel {
    /// `None` if the library could not allocate the context.
    pub(crate) fn new(vad: bool) -> Option<Self> {
        // SAFETY: takes a flag, returns a fresh heap context or NULL.
        let ptr = unsafe { initBcg729EncoderChannel(u8::from(vad)) };
        NonNull::new(ptr).map(EncoderChannel)
    }

    /// Encodes 10 ms; returns the number of bytes written (10 for voice; 2 or 0 with VAD).
    pub(crate) fn encode(
        &mut self,
        pcm: &[i16; FRAME_SAMPLES],
        out: &mut [u8; FRAME_BYTES],
    ) -> usize {
        let mut len = 0u8;
        // SAFETY: the context is live (owned by self, exclusively borrowed); the library reads
        // exactly 80 samples and writes at most 10 bytes and one length byte, which the array
        // types guarantee are there.
        unsafe { bcg729Encoder(self.0.as_ptr(), pcm.as_ptr(), out.as_mut_ptr(), &mut len) };
        usize::from(len).min(FRAME_BYTES)
    }
}

impl Drop for EncoderChannel {
    fn drop(&mut self) {
        // SAFETY: the pointer came from initBcg729EncoderChannel and is freed only here, once.
        unsafe { closeBcg729EncoderChannel(self.0.as_ptr()) }
    }
}

/// What a decoder is given for one 10 ms frame.
pub(crate) enum Input<'a> {
    /// A 10-byte voice frame.
    Voice(&'a [u8; FRAME_BYTES]),
    /// A 2-byte Annex B SID frame (comfort-noise parameters).
    Sid(&'a [u8; 2]),
    /// The frame was lost: the library extrapolates from its past parameters.
    Erased,
}

/// One decoder channel, freed on drop.
pub(crate) struct DecoderChannel(NonNull<DecoderContext>);

// SAFETY: as for EncoderChannel: exclusively owned heap state, no global mutable state.
unsafe impl Send for DecoderChannel {}

impl DecoderChannel {
    pub(crate) fn new() -> Option<Self> {
        // SAFETY: no arguments; returns a fresh heap context or NULL.
        let ptr = unsafe { initBcg729DecoderChannel() };
        NonNull::new(ptr).map(DecoderChannel)
    }

    /// Decodes 10 ms into `out`.
    pub(crate) fn decode(&mut self, input: Input<'_>, out: &mut [i16; FRAME_SAMPLES]) {
        // The library may parse the bit stream even for an erased frame, so it always gets a
        // valid 10-byte buffer.
        let mut bits = [0u8; FRAME_BYTES];
        let (len, erased, sid) = match input {
            Input::Voice(b) => {
                bits = *b;
                (FRAME_BYTES, 0, 0)
            }
            Input::Sid(b) => {
                bits[..2].copy_from_slice(b);
                (2, 0, 1)
            }
            Input::Erased => (0, 1, 0),
        };
        // SAFETY: the context is live and exclusively borrowed; `bits` holds 10 readable bytes
        // (at least the `len` announced), `out` has room for the 80 samples written.
        unsafe {
            bcg729Decoder(
                self.0.as_ptr(),
                bits.as_ptr(),
                len as u8,
                erased,
                sid,
                0,
                out.as_mut_ptr(),
            )
        }
    }
}

impl Drop for DecoderChannel {
    fn drop(&mut self) {
        // SAFETY: the pointer came from initBcg729DecoderChannel and is freed only here, once.
        unsafe { closeBcg729DecoderChannel(self.0.as_ptr()) }
    }
}
