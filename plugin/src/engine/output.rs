//! The last stage both plugins share: stereo width, reverb (wet/dry), output gain, the effect's
//! dry/wet and the host's bypass. The last two mix with the input delayed by the plugin's
//! latency (the effect; silence for the instrument), so that neither clicks nor shifts the
//! track in time, and the dry part lines up with what the plugin plays.

use super::params::Params;
use crate::dsp::delay::Delay;
use crate::dsp::reverb::Reverb;
use crate::dsp::smoother::LinearSmoother;
use crate::dsp::width::Width;

/// Gain knobs take this long to reach a new value, so that automation does not zipper.
const GAIN_RAMP_SECONDS: f32 = 0.02;
/// The reverb's size glides to a new value over this long.
const SIZE_RAMP_SECONDS: f32 = 0.1;
/// Bypass crossfades over this long.
const BYPASS_FADE_SECONDS: f32 = 0.01;

pub fn db_to_gain(db: f32) -> f32 {
    10f32.powf(db / 20.0)
}

pub struct Output {
    width: Width,
    reverb: Reverb,
    /// The reverb was skipped while dry and must be cleared before it is heard again.
    reverb_idle: bool,
    output_gain: LinearSmoother,
    reverb_mix: LinearSmoother,
    reverb_size: LinearSmoother,
    /// 1: the plugin plays; 0: bypassed.
    engaged: LinearSmoother,
    /// The plugin's share against the delayed input (the effect's Dry/Wet).
    wet_share: LinearSmoother,
    /// The input, delayed by the latency, per input channel (none for the instrument).
    dry: Vec<Delay>,
    dry_chunk: Vec<Vec<f32>>,
    /// How many input channels the last `take_dry` had.
    fed: usize,
    gains: Vec<f32>,
    wet: Vec<f32>,
}

impl Output {
    /// `dry_channels` inputs delayed by `latency` samples; `chunk` is the longest stretch
    /// processed at once.
    pub fn new(sample_rate: f32, dry_channels: usize, latency: usize, chunk: usize) -> Self {
        let mut reverb = Reverb::room(sample_rate, Params::default().reverb_size_seconds, 1.0);
        reverb.reset();
        Self {
            width: Width::new(0.0, sample_rate),
            reverb,
            reverb_idle: true,
            output_gain: LinearSmoother::new(1.0, GAIN_RAMP_SECONDS, sample_rate),
            reverb_mix: LinearSmoother::new(0.0, GAIN_RAMP_SECONDS, sample_rate),
            reverb_size: LinearSmoother::new(
                Params::default().reverb_size_seconds,
                SIZE_RAMP_SECONDS,
                sample_rate,
            ),
            engaged: LinearSmoother::new(1.0, BYPASS_FADE_SECONDS, sample_rate),
            wet_share: LinearSmoother::new(1.0, GAIN_RAMP_SECONDS, sample_rate),
            dry: (0..dry_channels).map(|_| Delay::new(latency)).collect(),
            dry_chunk: (0..dry_channels).map(|_| vec![0.0; chunk]).collect(),
            fed: 0,
            gains: vec![0.0; chunk],
            wet: vec![0.0; chunk],
        }
    }

    pub fn set_output_gain(&mut self, db: f32) {
        self.output_gain.set_target(db_to_gain(db));
    }

    pub fn set_reverb_mix(&mut self, mix: f32) {
        self.reverb_mix.set_target(mix.clamp(0.0, 1.0));
    }

    pub fn set_reverb_size(&mut self, seconds: f32) {
        self.reverb_size.set_target(seconds);
    }

    pub fn set_width(&mut self, width: f32) {
        self.width.set_width(width);
    }

    pub fn set_dry_wet(&mut self, wet: f32) {
        if wet.is_finite() {
            self.wet_share.set_target(wet.clamp(0.0, 1.0));
        }
    }

    pub fn set_bypass(&mut self, bypass: bool) {
        self.engaged.set_target(if bypass { 0.0 } else { 1.0 });
    }

    /// Settles every knob where it is going and silences the reverb and the dry path (a
    /// transport jump: nothing old may play on).
    pub fn reset(&mut self, p: &Params) {
        self.reverb.reset();
        self.width.reset(p.width);
        self.output_gain.reset(db_to_gain(p.output_gain_db));
        self.reverb_mix.reset(p.reverb_mix.clamp(0.0, 1.0));
        self.reverb_size.reset(p.reverb_size_seconds);
        self.reverb.set_decay(p.reverb_size_seconds);
        self.engaged.reset(if p.bypass { 0.0 } else { 1.0 });
        self.wet_share.reset(if p.dry_wet.is_finite() {
            p.dry_wet.clamp(0.0, 1.0)
        } else {
            1.0
        });
        self.dry.iter_mut().for_each(Delay::clear);
    }

    /// Takes in samples `from..to` of the input (the first channels), before the plugin's output
    /// replaces them: the dry path delays them by the latency.
    pub fn take_dry(&mut self, channels: &[&mut [f32]], from: usize, to: usize) {
        self.fed = channels.len().min(self.dry.len());
        for ((delay, chunk), channel) in self.dry.iter_mut().zip(&mut self.dry_chunk).zip(channels)
        {
            let input = &channel[from..to];
            let out = &mut chunk[..to - from];
            // Non-finite input is silence on the dry path too.
            if input.iter().all(|x| x.is_finite()) {
                delay.process(input, out);
            } else {
                for (i, &x) in input.iter().enumerate() {
                    let x = [if x.is_finite() { x } else { 0.0 }];
                    delay.process(&x, &mut out[i..i + 1]);
                }
            }
        }
    }

    /// The synth's mono signal, in the first channel, spread over all of them: the first two
    /// as wide as the width says, any others as the first.
    pub fn spread(&mut self, channels: &mut [&mut [f32]], from: usize, to: usize) {
        let Some((first, rest)) = channels.split_first_mut() else {
            return;
        };
        for channel in rest.iter_mut() {
            channel[from..to].copy_from_slice(&first[from..to]);
        }
        if let Some(second) = rest.first_mut() {
            self.width
                .process(&mut first[from..to], &mut second[from..to]);
        }
    }

    /// Reverb of the channels' mono sum, mixed into each channel; the output gain; the bypass
    /// crossfade with the dry path taken for the same samples.
    pub fn process(&mut self, channels: &mut [&mut [f32]], from: usize, to: usize) {
        let n = to - from;
        if self.reverb_mix.is_settled() && self.reverb_mix.value() == 0.0 {
            // Dry: skip the convolution (about half a percent of a core) and start it clean
            // when the mix comes back up, so no stale tail plays.
            self.reverb_idle = true;
            let gains = &mut self.gains[..n];
            for g in gains.iter_mut() {
                *g = self.output_gain.next();
            }
            for channel in channels.iter_mut() {
                channel[from..to]
                    .iter_mut()
                    .zip(gains.iter())
                    .for_each(|(x, g)| *x *= g);
            }
        } else {
            if self.reverb_idle {
                self.reverb.reset();
                self.reverb_idle = false;
            }
            if !self.reverb_size.is_settled() {
                // Once per stretch: a gain per partition, not per sample.
                self.reverb_size.skip(n);
                self.reverb.set_decay(self.reverb_size.value());
            }
            let wet = &mut self.wet[..n];
            wet.fill(0.0);
            let share = 1.0 / channels.len() as f32;
            for channel in channels.iter() {
                for (w, x) in wet.iter_mut().zip(&channel[from..to]) {
                    *w += share * x;
                }
            }
            self.reverb.process(wet);
            let gains = &mut self.gains[..n];
            for (g, w) in gains.iter_mut().zip(wet.iter_mut()) {
                let mix = self.reverb_mix.next();
                let out = self.output_gain.next();
                // gains becomes the dry factor, wet the wet part, both with the output gain in.
                *g = (1.0 - mix) * out;
                *w *= mix * out;
            }
            for channel in channels.iter_mut() {
                for ((x, g), w) in channel[from..to]
                    .iter_mut()
                    .zip(gains.iter())
                    .zip(wet.iter())
                {
                    *x = *x * g + w;
                }
            }
        }
        self.bypass(channels, from, to);
    }

    fn bypass(&mut self, channels: &mut [&mut [f32]], from: usize, to: usize) {
        let full = |s: &LinearSmoother| s.is_settled() && s.value() == 1.0;
        if full(&self.engaged) && full(&self.wet_share) {
            return;
        }
        let n = to - from;
        let amounts = &mut self.gains[..n];
        for a in amounts.iter_mut() {
            *a = self.engaged.next() * self.wet_share.next();
        }
        for (c, channel) in channels.iter_mut().enumerate() {
            // A mono input feeds both outputs of a mono-to-stereo layout.
            let dry = (self.fed > 0).then(|| &self.dry_chunk[c.min(self.fed - 1)]);
            for (i, (x, a)) in channel[from..to].iter_mut().zip(amounts.iter()).enumerate() {
                let d = dry.map_or(0.0, |d| d[i]);
                *x = *x * a + d * (1.0 - a);
            }
        }
    }
}
