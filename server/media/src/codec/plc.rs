//! Packet-loss concealment for the codecs without their own (G.711, G.722): replay the last
//! good frame at a falling gain. Three lost frames in a row fade to silence, which is kinder
//! to the ear than a buzz of repeats, and the next good frame resets the gain.

/// Gain of the n-th consecutive concealed frame, in 1/256.
const GAINS: [i32; 4] = [192, 112, 48, 0];

pub(crate) struct FadePlc {
    last: Vec<i16>,
    lost: usize,
}

impl FadePlc {
    /// `frame` is the number of samples one concealed frame must have.
    pub(crate) fn new(frame: usize) -> Self {
        FadePlc {
            last: vec![0; frame],
            lost: 0,
        }
    }

    /// Remember the tail of decoded audio for a later loss.
    pub(crate) fn good(&mut self, pcm: &[i16]) {
        self.lost = 0;
        let n = self.last.len();
        if pcm.len() >= n {
            self.last.copy_from_slice(&pcm[pcm.len() - n..]);
        } else {
            self.last.rotate_left(pcm.len());
            let keep = n - pcm.len();
            self.last[keep..].copy_from_slice(pcm);
        }
    }

    /// Append one concealed frame, the gain sliding linearly across it so no step is heard.
    pub(crate) fn conceal(&mut self, out: &mut Vec<i16>) {
        let from = if self.lost == 0 {
            256
        } else {
            GAINS[(self.lost - 1).min(GAINS.len() - 1)]
        };
        let to = GAINS[self.lost.min(GAINS.len() - 1)];
        self.lost += 1;
        let n = self.last.len() as i32;
        out.extend(self.last.iter().enumerate().map(|(i, &s)| {
            let g = from + (to - from) * i as i32 / n;
            (i32::from(s) * g / 256) as i16
        }));
    }
}
