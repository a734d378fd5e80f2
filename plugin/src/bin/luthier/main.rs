//! `luthier`, the command-line tool: the plugin's own analysis (and later its rendering) on
//! files, for musicians and for the training pipeline.
//!
//!   luthier features IN.wav --out OUT.csv    per-frame time, f0, confidence, loudness
//!   luthier render --model NAME --audio IN.wav -o OUT.wav
//!                                           tone transfer through a model, offline
//!   luthier render --model NAME --midi IN.mid -o OUT.wav
//!                                           the instrument through a model, offline
//!   luthier render ... --preset NAME --set "Vibrato Depth=30 ct"
//!                                           with a preset and knobs, as the editor shows them
//!   luthier params [--effect]               every knob: group, name, range, default
//!   luthier transcribe IN.wav -o OUT.mid     the notes the effect hears, as MIDI

mod midi_file;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use luthier::analysis::features::extract;
use luthier::analysis::pitch::PitchConfig;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// Rates the analysis is built and tested for.
const RATES: std::ops::RangeInclusive<u32> = 16_000..=192_000;

#[derive(Parser)]
#[command(
    name = "luthier",
    version,
    about = "Luthier's neural synthesizer on the command line"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Write the features the plugin hears in a WAV file: one row per control frame with
    /// time_s, f0_hz, confidence (0..1), loudness_db (A-weighted, -80..), periodicity (-1..1, of
    /// the band over 250 Hz at f0) and voiced (1 where the effect's voicing rule plays a note:
    /// sure pitch, periodic where heard, over the gate and the room's noise floor).
    Features {
        /// A WAV file: mono or multi-channel (mixed down), 16/24/32-bit PCM or 32-bit float.
        input: PathBuf,
        /// Where to write the CSV.
        #[arg(short, long)]
        out: PathBuf,
        /// Control frames per second (the model's frame rate).
        #[arg(long, default_value_t = luthier::limits::FRAME_RATE_HZ)]
        frame_rate: u32,
        /// Lowest f0 to look for, in Hz.
        #[arg(long, default_value_t = PitchConfig::default().min_hz)]
        min_f0: f32,
        /// Highest f0 to look for, in Hz.
        #[arg(long, default_value_t = PitchConfig::default().max_hz)]
        max_f0: f32,
        /// Wait this long (ms, up to 32) for each note's pitch to settle, as the effect's Pitch
        /// Look-Ahead does: a note's first frames take the pitch it settles on.
        #[arg(long, default_value_t = 0.0)]
        look_ahead_ms: f32,
    },
    /// Play a WAV file (tone transfer) or a MIDI file through a model, with the plugin's engine
    /// rendering offline (repeatable bit for bit). Writes 32-bit float WAV, aligned with the
    /// input (the engine's latency is removed).
    Render {
        /// A model name (searched beside this tool, in the user's model folder and in the
        /// source tree's models/), a path to its .onnx, or `none` for the plugins' fixed
        /// sawtooth-like spectrum (what they play without a model). Without it, the preset's.
        #[arg(long, required_unless_present = "preset")]
        model: Option<String>,
        /// Audio to play through the effect (tone transfer).
        #[arg(long, conflicts_with = "midi", required_unless_present = "midi")]
        audio: Option<PathBuf>,
        /// MIDI to play through the instrument.
        #[arg(long)]
        midi: Option<PathBuf>,
        /// A preset (a factory one such as "Violin Expressive", or one of yours) by name: its
        /// knobs, and its model unless --model is given.
        #[arg(long)]
        preset: Option<String>,
        /// Sets a knob after the preset, by its name and a value as the editor shows them,
        /// e.g. --set "Vibrato Depth=30 ct" --set "Voices=Legato" (repeatable; `luthier
        /// params` lists them).
        #[arg(long = "set", value_name = "NAME=VALUE")]
        set: Vec<String>,
        /// Where to write the WAV.
        #[arg(short, long)]
        out: PathBuf,
    },
    /// Write the notes the effect hears in a recording as a MIDI file: note on and off with
    /// velocity from loudness, and pitch bends for the fine pitch (range +-2 semitones, set by
    /// RPN 0 at the start), as the effect sends them on its note output.
    Transcribe {
        /// A WAV file: mono or multi-channel (mixed down), 16/24/32-bit PCM or 32-bit float.
        input: PathBuf,
        /// Where to write the MIDI file.
        #[arg(short, long)]
        out: PathBuf,
        /// Lowest f0 to look for, in Hz.
        #[arg(long, default_value_t = PitchConfig::default().min_hz)]
        min_f0: f32,
        /// Highest f0 to look for, in Hz.
        #[arg(long, default_value_t = PitchConfig::default().max_hz)]
        max_f0: f32,
        /// Wait this long (ms, up to 32) for each note's pitch to settle, as the effect's Pitch
        /// Look-Ahead does: a note's first frames take the pitch it settles on.
        #[arg(long, default_value_t = 0.0)]
        look_ahead_ms: f32,
        /// A note shorter than this (ms) that runs straight into the next becomes the start of
        /// that note: a scoop, a glide or an attack read an octave off, which the effect sends
        /// live as a short note on the wrong key. 0 writes what the effect sends, as it is.
        #[arg(long, default_value_t = luthier::control::take::MIN_NOTE_MS)]
        min_note_ms: f32,
    },
    /// List every knob of the instrument (or, with --effect, of the effect) that --set takes:
    /// its group, name, range and default.
    Params {
        #[arg(long)]
        effect: bool,
    },
}

fn main() {
    if let Err(err) = run(Cli::parse()) {
        eprintln!("error: {err:#}");
        std::process::exit(1);
    }
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Render {
            model,
            audio,
            midi,
            preset,
            set,
            out,
        } => {
            use luthier::engine::Mode;
            let mode = if audio.is_some() {
                Mode::Effect
            } else {
                Mode::Instrument
            };
            let knobs = luthier::plugins::offline::knobs(mode, preset.as_deref(), &set)
                .map_err(anyhow::Error::msg)?;
            for warning in &knobs.warnings {
                eprintln!("warning: {warning}");
            }
            let Some(model) = model.or(knobs.model) else {
                bail!(
                    "preset '{}' names no model: give --model",
                    preset.unwrap_or_default()
                );
            };
            let setup = RenderSetup {
                model,
                params: knobs.params,
            };
            match (audio, midi) {
                (Some(input), _) => render_audio(&setup, &input, &out),
                (None, Some(midi)) => render_midi(&setup, &midi, &out),
                (None, None) => bail!("give --audio IN.wav (tone transfer) or --midi IN.mid"),
            }
        }
        Command::Transcribe {
            input,
            out,
            min_f0,
            max_f0,
            look_ahead_ms,
            min_note_ms,
        } => transcribe(&input, &out, min_f0, max_f0, look_ahead_ms, min_note_ms),
        Command::Params { effect } => {
            let mode = if effect {
                luthier::engine::Mode::Effect
            } else {
                luthier::engine::Mode::Instrument
            };
            println!("{}", luthier::plugins::offline::listing(mode));
            Ok(())
        }
        Command::Features {
            input,
            out,
            frame_rate,
            min_f0,
            max_f0,
            look_ahead_ms,
        } => {
            if !(1..=1000).contains(&frame_rate) {
                bail!(
                    "--frame-rate must be between 1 and 1000 frames per second, not {frame_rate}"
                );
            }
            if !(min_f0 >= 20.0 && max_f0 <= 5000.0 && min_f0 * 1.5 <= max_f0) {
                bail!("need 20 <= --min-f0 and --max-f0 <= 5000 Hz, with --max-f0 at least 1.5 x --min-f0");
            }
            let look_ahead = look_ahead_frames(look_ahead_ms, frame_rate)?;
            let (samples, sample_rate) = read_mono(&input)?;
            let pitch = PitchConfig {
                min_hz: min_f0,
                max_hz: max_f0,
                ..PitchConfig::default()
            };
            let bar = progress(samples.len() as u64);
            let features = extract(&samples, sample_rate, frame_rate, pitch, |done| {
                bar.set_position(done as u64)
            });
            bar.finish_and_clear();
            let features = luthier::analysis::lookahead::apply(&features, look_ahead);
            write_csv(&out, &features, frame_rate)?;
            eprintln!(
                "{} frames from {} ({:.1} s at {sample_rate} Hz) -> {}",
                features.len(),
                input.display(),
                samples.len() as f64 / sample_rate as f64,
                out.display()
            );
            Ok(())
        }
    }
}

/// The model's .onnx: a path as given, or a name looked up in the model folders.
fn model_path(model: &str) -> Result<PathBuf> {
    let path = PathBuf::from(model);
    if path.extension().is_some_and(|e| e == "onnx") {
        if !path.is_file() {
            bail!("model file {} does not exist", path.display());
        }
        return Ok(path);
    }
    luthier::model::library::find(model).with_context(|| {
        let folders: Vec<String> = luthier::model::library::folders()
            .iter()
            .map(|f| f.display().to_string())
            .collect();
        format!(
            "no model called '{model}' (looked for {model}.onnx with its .json in {})",
            folders.join(", ")
        )
    })
}

/// What a render plays: the model and the knobs.
struct RenderSetup {
    model: String,
    params: luthier::engine::Params,
}

/// The engine with the model's decoder and the knobs, rendering offline.
fn offline_engine(
    setup: &RenderSetup,
    mode: luthier::engine::Mode,
    sample_rate: u32,
) -> Result<(luthier::engine::Engine, String)> {
    use luthier::engine::{Engine, Rendering};
    let rate = sample_rate as f32;
    let params = setup.params.clone();
    if setup.model == "none" {
        let name = "none (the fixed spectrum)".to_string();
        return Ok((Engine::with_params(mode, rate, params), name));
    }
    let path = model_path(&setup.model)?;
    let decoder = luthier::model::decoder::Decoder::load(&path, None)?;
    let name = decoder.card().name.clone();
    let link =
        luthier::model::inference::Link::start(decoder).context("starting the decoder thread")?;
    Ok((
        Engine::with_decoder(mode, rate, params, link, Rendering::Offline),
        name,
    ))
}

/// An offline render waits for every decoder reply; one that never came makes it inexact.
fn check_exact(engine: &luthier::engine::Engine) -> Result<()> {
    let missed = engine.stats().decoder_underruns;
    if missed > 0 {
        bail!("the decoder missed {missed} frames; the render would not be exact (is the machine overloaded?)");
    }
    Ok(())
}

/// Ticks per second of the MIDI files written: 480 per beat at 120 bpm.
const TICKS_PER_SECOND: f64 = 960.0;

/// The longest `--min-note-ms`: past a second, it would join real notes, not lead-ins.
const MAX_MIN_NOTE_MS: f32 = 1000.0;

/// A look-ahead in milliseconds as whole frames at `frame_rate` (the most the effect allows:
/// as many frames as it waits at its own rate).
fn look_ahead_frames(ms: f32, frame_rate: u32) -> Result<usize> {
    use luthier::analysis::lookahead::MAX_MS;
    if !(0.0..=MAX_MS).contains(&ms) {
        bail!("--look-ahead-ms must be between 0 and {MAX_MS} ms, not {ms}");
    }
    Ok(luthier::analysis::lookahead::frames_for_ms(ms, frame_rate))
}

fn transcribe(
    input: &Path,
    out: &Path,
    min_f0: f32,
    max_f0: f32,
    look_ahead_ms: f32,
    min_note_ms: f32,
) -> Result<()> {
    use luthier::control::take::{transcribe_take, TakeFrame};
    use luthier::control::transcribe::{NoteOut, BEND_RANGE_RPN, BEND_RANGE_SEMITONES};
    use luthier::engine::voicing::Voicing;
    use midly::num::{u14, u15, u28, u4, u7};
    use midly::{
        Format, Header, MetaMessage, MidiMessage, PitchBend, Smf, Timing, TrackEvent,
        TrackEventKind,
    };
    if !(min_f0 >= 20.0 && max_f0 <= 5000.0 && min_f0 * 1.5 <= max_f0) {
        bail!("need 20 <= --min-f0 and --max-f0 <= 5000 Hz, with --max-f0 at least 1.5 x --min-f0");
    }
    if !(0.0..=MAX_MIN_NOTE_MS).contains(&min_note_ms) {
        bail!("--min-note-ms must be between 0 and {MAX_MIN_NOTE_MS} ms, not {min_note_ms}");
    }
    let frame_rate = luthier::limits::FRAME_RATE_HZ;
    let look_ahead = look_ahead_frames(look_ahead_ms, frame_rate)?;
    let (samples, sample_rate) = read_mono(input)?;
    let pitch = PitchConfig {
        min_hz: min_f0,
        max_hz: max_f0,
        ..PitchConfig::default()
    };
    let bar = progress(samples.len() as u64);
    let features = extract(&samples, sample_rate, frame_rate, pitch, |done| {
        bar.set_position(done as u64)
    });
    bar.finish_and_clear();
    let features = luthier::analysis::lookahead::apply(&features, look_ahead);
    let channel = u4::new(0);
    let mut events: Vec<(u64, MidiMessage)> = Vec::new();
    // The range the bends are written for, first.
    for (controller, value) in BEND_RANGE_RPN {
        events.push((
            0,
            MidiMessage::Controller {
                controller: u7::new(controller),
                value: u7::new(value),
            },
        ));
    }
    // As the effect does: the voicing rule's voiced frames, at the pitch it holds.
    let mut voicing = Voicing::default();
    let take: Vec<TakeFrame> = features
        .iter()
        .map(|f| {
            let decision = voicing.next(f, false);
            TakeFrame {
                voiced: voicing.is_voiced(),
                f0_hz: decision.f0_hz,
                loudness_db: f.loudness_db,
            }
        })
        .collect();
    let min_note_frames = (min_note_ms / 1000.0 * frame_rate as f32).round() as usize;
    let mut notes = 0usize;
    let mut emit = |tick: u64, e: NoteOut, notes: &mut usize| {
        let message = match e {
            NoteOut::On { key, velocity } => {
                *notes += 1;
                MidiMessage::NoteOn {
                    key: u7::new(key),
                    vel: u7::new(velocity),
                }
            }
            NoteOut::Off { key } => MidiMessage::NoteOff {
                key: u7::new(key),
                vel: u7::new(0),
            },
            NoteOut::Bend { semitones } => {
                let value = 8192.0 + semitones / BEND_RANGE_SEMITONES * 8191.0;
                MidiMessage::PitchBend {
                    bend: PitchBend(u14::new(value.round().clamp(0.0, 16383.0) as u16)),
                }
            }
        };
        events.push((tick, message));
    };
    for (j, e) in transcribe_take(&take, min_note_frames) {
        let tick = (j as f64 / frame_rate as f64 * TICKS_PER_SECOND).round() as u64;
        emit(tick, e, &mut notes);
    }
    let mut track = Vec::with_capacity(events.len() + 2);
    track.push(TrackEvent {
        delta: u28::new(0),
        kind: TrackEventKind::Meta(MetaMessage::Tempo(midly::num::u24::new(500_000))),
    });
    let mut now = 0u64;
    for (tick, message) in events {
        track.push(TrackEvent {
            delta: u28::new((tick - now) as u32),
            kind: TrackEventKind::Midi { channel, message },
        });
        now = tick;
    }
    track.push(TrackEvent {
        delta: u28::new(0),
        kind: TrackEventKind::Meta(MetaMessage::EndOfTrack),
    });
    let smf = Smf {
        header: Header::new(Format::SingleTrack, Timing::Metrical(u15::new(480))),
        tracks: vec![track],
    };
    smf.save(out)
        .with_context(|| format!("cannot write {}", out.display()))?;
    eprintln!(
        "{} notes from {} ({:.1} s) -> {}",
        notes,
        input.display(),
        samples.len() as f64 / sample_rate as f64,
        out.display()
    );
    Ok(())
}

/// Writes mono 32-bit float samples.
fn write_wav(out: &Path, sample_rate: u32, samples: &[f32]) -> Result<()> {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    let mut writer = hound::WavWriter::create(out, spec)
        .with_context(|| format!("cannot write {}", out.display()))?;
    for x in samples {
        writer.write_sample(*x)?;
    }
    writer
        .finalize()
        .with_context(|| format!("writing {}", out.display()))
}

/// Rendering ends this long after the last note-off, so releases and reverb tails finish.
const MIDI_TAIL_SECONDS: f64 = 2.0;

fn render_midi(setup: &RenderSetup, midi: &Path, out: &Path) -> Result<()> {
    use luthier::engine::{Event, Mode};
    const RATE: u32 = 48_000;
    let events = midi_file::read(midi, RATE)?;
    if !events
        .iter()
        .any(|(_, e)| matches!(e, Event::NoteOn { .. }))
    {
        bail!("{} has no notes", midi.display());
    }
    let (mut engine, name) = offline_engine(setup, Mode::Instrument, RATE)?;
    let last = events.last().map_or(0, |(t, _)| *t) as usize;
    let length = last + (MIDI_TAIL_SECONDS * RATE as f64) as usize;
    let mut next = 0;
    let rendered = render_offline(&mut engine, length, |start, left, _, block_events| {
        while next < events.len() && (events[next].0 as usize) < start + left.len() {
            let (at, event) = events[next];
            block_events.push(event.at((at as usize - start) as u32));
            next += 1;
        }
    })?;
    write_wav(out, RATE, &rendered)?;
    eprintln!(
        "{} through '{name}' ({:.1} s at {RATE} Hz) -> {}",
        midi.display(),
        length as f64 / RATE as f64,
        out.display()
    );
    Ok(())
}

fn render_audio(setup: &RenderSetup, input: &Path, out: &Path) -> Result<()> {
    use luthier::engine::Mode;
    let (samples, sample_rate) = read_mono(input)?;
    let rate = sample_rate as f32;
    if !luthier::limits::supports_sample_rate(rate) {
        bail!(
            "{} is at {sample_rate} Hz; the engine plays {}..{} Hz",
            input.display(),
            luthier::limits::MIN_SAMPLE_RATE,
            luthier::limits::MAX_SAMPLE_RATE
        );
    }
    let (mut engine, name) = offline_engine(setup, Mode::Effect, sample_rate)?;
    let rendered = render_offline(&mut engine, samples.len(), |start, left, right, _| {
        for (i, (l, r)) in left.iter_mut().zip(right.iter_mut()).enumerate() {
            // Past the input's end (its latency's worth), silence flushes the engine.
            let x = samples.get(start + i).copied().unwrap_or(0.0);
            (*l, *r) = (x, x);
        }
    })?;
    write_wav(out, sample_rate, &rendered)?;
    eprintln!(
        "{} through '{name}' ({:.1} s at {sample_rate} Hz) -> {}",
        input.display(),
        samples.len() as f64 / sample_rate as f64,
        out.display()
    );
    Ok(())
}

/// Host block size of the command-line renders.
const BLOCK: usize = 512;

/// Plays `engine` offline over `length` samples plus its latency, in BLOCK-sample blocks, with
/// a progress bar; `fill(start, left, right, events)` writes each block's input and events.
/// Returns the output lined up with the input (the latency removed), `length` samples long.
fn render_offline(
    engine: &mut luthier::engine::Engine,
    length: usize,
    mut fill: impl FnMut(usize, &mut [f32], &mut [f32], &mut Vec<luthier::engine::Event>),
) -> Result<Vec<f32>> {
    let latency = engine.latency_samples() as usize;
    let total = length + latency;
    let inputs = match engine.mode() {
        luthier::engine::Mode::Effect => 2,
        luthier::engine::Mode::Instrument => 0,
    };
    let bar = progress(total as u64);
    let mut rendered = Vec::with_capacity(total);
    let (mut left, mut right) = (vec![0.0f32; BLOCK], vec![0.0f32; BLOCK]);
    let mut events = Vec::with_capacity(64);
    while rendered.len() < total {
        let start = rendered.len();
        let n = BLOCK.min(total - start);
        let (l, r) = (&mut left[..n], &mut right[..n]);
        l.fill(0.0);
        r.fill(0.0);
        events.clear();
        fill(start, l, r, &mut events);
        engine.process(&mut [&mut *l, &mut *r], inputs, &events);
        rendered.extend_from_slice(l);
        bar.set_position(rendered.len() as u64);
    }
    bar.finish_and_clear();
    check_exact(engine)?;
    rendered.drain(..latency);
    Ok(rendered)
}

/// A progress bar on stderr for files longer than about ten seconds (none when piped).
fn progress(total: u64) -> ProgressBar {
    if total < 500_000 {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {percent:>3}% {elapsed_precise} eta {eta}")
            .expect("valid template"),
    );
    bar
}

/// The file's samples, mixed to mono, and its rate.
fn read_mono(path: &Path) -> Result<(Vec<f32>, u32)> {
    let reader = hound::WavReader::open(path).map_err(|err| match err {
        hound::Error::IoError(e) => anyhow::anyhow!("cannot read {}: {e}", path.display()),
        other => anyhow::anyhow!(
            "{} is not a WAV file luthier can read ({other})",
            path.display()
        ),
    })?;
    let spec = reader.spec();
    if !RATES.contains(&spec.sample_rate) {
        bail!(
            "{} is at {} Hz; luthier analyses {}..{} Hz audio (resample it first)",
            path.display(),
            spec.sample_rate,
            RATES.start(),
            RATES.end()
        );
    }
    let channels = spec.channels.max(1) as usize;
    let samples: Result<Vec<f32>, hound::Error> = match (spec.sample_format, spec.bits_per_sample) {
        (hound::SampleFormat::Float, 32) => reader.into_samples::<f32>().collect(),
        (hound::SampleFormat::Int, bits @ (16 | 24 | 32)) => {
            let scale = 1.0 / (1u64 << (bits - 1)) as f32;
            reader
                .into_samples::<i32>()
                .map(|s| s.map(|v| v as f32 * scale))
                .collect()
        }
        (format, bits) => bail!(
            "{}: {bits}-bit {format:?} WAV is not supported (use 16/24/32-bit PCM or 32-bit float)",
            path.display()
        ),
    };
    let interleaved = samples.with_context(|| {
        format!(
            "reading the samples of {} (is it truncated?)",
            path.display()
        )
    })?;
    let mono = interleaved
        .chunks(channels)
        .map(|frame| frame.iter().sum::<f32>() / channels as f32)
        .collect();
    Ok((mono, spec.sample_rate))
}

fn write_csv(
    path: &Path,
    features: &[luthier::analysis::features::Features],
    frame_rate: u32,
) -> Result<()> {
    let file =
        std::fs::File::create(path).with_context(|| format!("cannot write {}", path.display()))?;
    let mut w = BufWriter::new(file);
    writeln!(w, "time_s,f0_hz,confidence,loudness_db,periodicity,voiced")?;
    let mut voicing = luthier::engine::voicing::Voicing::default();
    for (j, f) in features.iter().enumerate() {
        voicing.next(f, false);
        writeln!(
            w,
            "{:.6},{:.4},{:.4},{:.3},{:.4},{}",
            j as f64 / frame_rate as f64,
            f.f0_hz,
            f.confidence,
            f.loudness_db,
            f.periodicity,
            u8::from(voicing.is_voiced())
        )?;
    }
    w.flush()
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}
