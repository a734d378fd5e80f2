//! `luthier features` as a user runs it: the real binary on WAV files written here.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("cli");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn luthier(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_luthier"))
        .args(args)
        .output()
        .expect("run luthier")
}

fn write_wav(
    path: &Path,
    rate: u32,
    channels: u16,
    bits: u16,
    signal: impl Fn(usize, u16) -> f32,
    len: usize,
) {
    let spec = hound::WavSpec {
        channels,
        sample_rate: rate,
        bits_per_sample: bits,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    let full = (1i64 << (bits - 1)) as f32 - 1.0;
    for i in 0..len {
        for c in 0..channels {
            w.write_sample((signal(i, c) * full) as i32).unwrap();
        }
    }
    w.finalize().unwrap();
}

fn rows(csv: &Path) -> Vec<Vec<f64>> {
    let text = std::fs::read_to_string(csv).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("time_s,f0_hz,confidence,loudness_db,periodicity,voiced")
    );
    lines
        .map(|l| l.split(',').map(|v| v.parse().unwrap()).collect())
        .collect()
}

#[test]
fn features_of_a_stereo_file_track_its_pitch_and_level() {
    let (rate, len) = (48_000u32, 96_000usize);
    let wav = scratch("saw_220.wav");
    // A 220 Hz sawtooth-like tone on the left, silence on the right (mixed down: -6 dB).
    let saw = |i: usize| {
        (1..=10)
            .map(|k| {
                (std::f32::consts::TAU * 220.0 * k as f32 * i as f32 / rate as f32).sin() / k as f32
            })
            .sum::<f32>()
            * 0.3
    };
    write_wav(
        &wav,
        rate,
        2,
        16,
        |i, c| if c == 0 { saw(i) } else { 0.0 },
        len,
    );
    let csv = scratch("saw_220.csv");
    let out = luthier(&[
        "features",
        wav.to_str().unwrap(),
        "--out",
        csv.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows = rows(&csv);
    // Frames at 0, 4, ..., 2000 ms: one per 4 ms, plus the frame at the end.
    assert_eq!(rows.len(), 501);
    assert!((rows[100][0] - 0.4).abs() < 1e-9);
    let steady = &rows[50..];
    for r in steady {
        let cents = 1200.0 * (r[1] / 220.0).log2();
        assert!(cents.abs() < 5.0 && r[2] > 0.9, "{r:?}");
        // The tone is periodic where it is heard too, and the effect would play it.
        assert!(r[4] > 0.95 && r[5] == 1.0, "{r:?}");
    }
    let (lo, hi) = steady.iter().fold((f64::MAX, f64::MIN), |(lo, hi), r| {
        (lo.min(r[3]), hi.max(r[3]))
    });
    assert!(
        hi - lo < 1.0,
        "loudness of a steady tone wanders {lo}..{hi} dB"
    );
    assert_eq!(rows[0][3], -80.0, "frame 0 has heard nothing yet");
    assert_eq!(
        (rows[0][4], rows[0][5]),
        (0.0, 0.0),
        "nor anything periodic"
    );
}

#[test]
fn clear_errors_for_files_it_cannot_use() {
    let csv = scratch("never.csv");
    let run = |path: &Path| {
        let out = luthier(&[
            "features",
            path.to_str().unwrap(),
            "--out",
            csv.to_str().unwrap(),
        ]);
        assert_eq!(out.status.code(), Some(1), "{path:?} did not fail cleanly");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    assert!(run(&scratch("missing.wav")).contains("cannot read"));

    let text = scratch("text.wav");
    std::fs::write(&text, "not audio").unwrap();
    assert!(run(&text).contains("is not a WAV file"));

    let low = scratch("low_rate.wav");
    write_wav(&low, 8000, 1, 16, |_, _| 0.0, 800);
    assert!(run(&low).contains("8000 Hz"));

    let bits8 = scratch("8bit.wav");
    write_wav(&bits8, 48_000, 1, 8, |_, _| 0.0, 800);
    assert!(run(&bits8).contains("not supported"));

    let truncated = scratch("truncated.wav");
    write_wav(
        &truncated,
        48_000,
        1,
        16,
        |i, _| (i as f32 * 0.01).sin(),
        48_000,
    );
    let bytes = std::fs::read(&truncated).unwrap();
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    assert!(run(&truncated).contains("truncated"));

    let good = scratch("good.wav");
    write_wav(&good, 48_000, 1, 16, |_, _| 0.0, 4800);
    let out = luthier(&[
        "features",
        good.to_str().unwrap(),
        "--out",
        "/nonexistent-dir/x.csv",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot write"));
}

fn test_model() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../models/test/luthier-test.onnx")
        .display()
        .to_string()
}

#[test]
fn render_plays_audio_through_a_model_repeatably_and_aligned() {
    let (rate, len) = (44_100u32, 44_100usize);
    let wav = scratch("render_in.wav");
    // Silence, then a 330 Hz tone from 0.25 s.
    let onset = len / 4;
    let tone = |i: usize, _| {
        if i < onset {
            0.0
        } else {
            0.4 * (std::f32::consts::TAU * 330.0 * (i - onset) as f32 / rate as f32).sin()
        }
    };
    write_wav(&wav, rate, 1, 16, tone, len);
    // The shipped violin, by name: a trained model's level follows the input's loudness up
    // from silence (the random test model plays at full level from the first sound).
    let render = |name: &str| render_ok("violin", "--audio", &wav, name);
    let (a, b) = (render("render_a.wav"), render("render_b.wav"));
    assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    let samples: Vec<f32> = hound::WavReader::open(&a)
        .unwrap()
        .into_samples::<f32>()
        .map(|s| s.unwrap())
        .collect();
    assert_eq!(samples.len(), len, "the output is as long as the input");
    // Latency removed: the output starts within a few ms of the input's onset (the tracker
    // needs about two periods of 330 Hz), not the reported latency later.
    let start = samples.iter().position(|x| x.abs() > 1e-3).unwrap();
    let ms = (start as f64 - onset as f64) / rate as f64 * 1e3;
    assert!(
        (-2.0..=8.0).contains(&ms),
        "output starts {ms:.1} ms after the input"
    );
}

#[test]
fn render_errors_are_clear() {
    let wav = scratch("render_err.wav");
    write_wav(&wav, 48_000, 1, 16, |_, _| 0.0, 4_800);
    let out = scratch("render_err_out.wav");
    let run = |args: &[&str]| {
        let result = luthier(args);
        assert!(!result.status.success(), "{args:?} succeeded");
        String::from_utf8_lossy(&result.stderr).to_string()
    };
    let (wav, out) = (wav.to_str().unwrap(), out.to_str().unwrap());
    let why = run(&[
        "render",
        "--model",
        "no-such-model",
        "--audio",
        wav,
        "-o",
        out,
    ]);
    assert!(why.contains("no model called 'no-such-model'"), "{why}");
    let why = run(&[
        "render",
        "--model",
        "/nowhere/m.onnx",
        "--audio",
        wav,
        "-o",
        out,
    ]);
    assert!(why.contains("does not exist"), "{why}");
    let model = test_model();
    let why = run(&["render", "--model", &model, "--midi", wav, "-o", out]);
    assert!(why.contains("not a MIDI file"), "{why}");
    let silent = scratch("no_notes.mid");
    std::fs::write(&silent, smf(&[])).unwrap();
    let why = run(&[
        "render",
        "--model",
        &model,
        "--midi",
        silent.to_str().unwrap(),
        "-o",
        out,
    ]);
    assert!(why.contains("has no notes"), "{why}");
    let why = run(&[
        "render",
        "--model",
        &model,
        "--audio",
        "/nowhere/in.wav",
        "-o",
        out,
    ]);
    assert!(why.contains("cannot read"), "{why}");
}

/// A format-0 MIDI file at 480 ticks per beat and 120 bpm (a tick is 1/960 s) holding `track`
/// (delta-timed events) after the tempo, written byte by byte from the specification.
fn smf(track: &[u8]) -> Vec<u8> {
    let mut body = vec![0x00, 0xFF, 0x51, 0x03, 0x07, 0xA1, 0x20]; // tempo 500 000 us/beat
    body.extend_from_slice(track);
    body.extend_from_slice(&[0x00, 0xFF, 0x2F, 0x00]); // end of track
    let mut file = b"MThd".to_vec();
    file.extend_from_slice(&[0, 0, 0, 6, 0, 0, 0, 1, 0x01, 0xE0]);
    file.extend_from_slice(b"MTrk");
    file.extend_from_slice(&(body.len() as u32).to_be_bytes());
    file.extend_from_slice(&body);
    file
}

#[test]
fn render_plays_a_midi_file_through_the_instrument_on_time() {
    // A3 (220 Hz) from beat 1 (0.5 s) to beat 3 (1.5 s): delta 480 = 0x83 0x60, 960 = 0x87 0x40.
    let midi = scratch("a3.mid");
    std::fs::write(
        &midi,
        smf(&[0x83, 0x60, 0x90, 57, 100, 0x87, 0x40, 0x80, 57, 0]),
    )
    .unwrap();
    let render = |name: &str| render_ok(&test_model(), "--midi", &midi, name);
    let (a, b) = (render("midi_a.wav"), render("midi_b.wav"));
    assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    let reader = hound::WavReader::open(&a).unwrap();
    let rate = reader.spec().sample_rate as usize;
    let samples: Vec<f32> = reader.into_samples::<f32>().map(|s| s.unwrap()).collect();
    // 1.5 s of music and 2 s of tail.
    assert_eq!(samples.len(), rate * 35 / 10);
    // Aligned: sound starts on the note-on sample (latency removed), ends after the release.
    let first = samples.iter().position(|x| *x != 0.0).unwrap();
    assert!(
        first.abs_diff(rate / 2) <= 1,
        "starts at {first}, not {}",
        rate / 2
    );
    // The release (80 ms, a T60) rings 1.6 of its time (`control::adsr::RELEASE_DEPTH_DB`).
    assert!(samples[rate * 3 / 2 + rate * 133 / 1000..]
        .iter()
        .all(|x| *x == 0.0));
}

/// Runs `luthier render --model MODEL FLAG INPUT -o <scratch NAME>`, which must succeed.
fn render_ok(model: &str, flag: &str, input: &Path, name: &str) -> PathBuf {
    let out = scratch(name);
    let args = [
        "render",
        "--model",
        model,
        flag,
        input.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ];
    let result = luthier(&args);
    assert!(
        result.status.success(),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    out
}

/// The samples of a render, and its rate.
fn samples_of(path: &Path) -> (Vec<f32>, usize) {
    let reader = hound::WavReader::open(path).unwrap();
    let rate = reader.spec().sample_rate as usize;
    (
        reader.into_samples::<f32>().map(|s| s.unwrap()).collect(),
        rate,
    )
}

#[test]
fn render_takes_presets_and_knobs_as_the_editor_shows_them() {
    let midi = scratch("preset_a3.mid");
    std::fs::write(
        &midi,
        smf(&[0x83, 0x60, 0x90, 57, 100, 0x87, 0x40, 0x80, 57, 0]),
    )
    .unwrap();
    let model = test_model();
    let render = |extra: &[&str], name: &str, env: Option<&Path>| -> Output {
        let out = scratch(name);
        let mut args = vec![
            "render",
            "--midi",
            midi.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        let mut command = Command::new(env!("CARGO_BIN_EXE_luthier"));
        command.args(&args);
        if let Some(data) = env {
            command.env("XDG_DATA_HOME", data);
        }
        command.output().unwrap()
    };
    let ok = |out: &Output| {
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        )
    };
    // A longer release, set by name and unit as the editor shows it, rings past the default's.
    ok(&render(&["--model", &model], "knobs_plain.wav", None));
    ok(&render(
        &[
            "--model",
            &model,
            "--set",
            "Envelope=Knobs",
            "--set",
            "release=500 ms",
        ],
        "knobs_long.wav",
        None,
    ));
    let (plain, rate) = samples_of(&scratch("knobs_plain.wav"));
    let (long, _) = samples_of(&scratch("knobs_long.wav"));
    let tail = rate * 3 / 2 + rate * 3 / 10; // 300 ms after the note-off
    assert!(plain[tail..].iter().all(|x| *x == 0.0));
    assert!(
        long[tail..].iter().any(|x| *x != 0.0),
        "the 500 ms release ended early"
    );
    // A factory preset's knobs, with its model overridden: Soft's 800 ms release rings too.
    ok(&render(
        &["--preset", "violin-soft", "--model", &model],
        "preset_soft.wav",
        None,
    ));
    let (soft, _) = samples_of(&scratch("preset_soft.wav"));
    assert!(
        soft[tail..].iter().any(|x| *x != 0.0),
        "the preset's release did not apply"
    );

    // A user preset from the user's folder, naming a model that is not installed.
    let data = scratch("xdg");
    let folder = data.join("luthier/presets/Luthier");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(
        folder.join("Mine.json"),
        r#"{"format": 1, "name": "Mine", "plugin": "Luthier", "model": "oboe",
            "params": {"envelope": "Knobs", "release": 500.0, "wobble": 1}}"#,
    )
    .unwrap();
    let out = render(&["--preset", "mine"], "mine.wav", Some(&data));
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no model called 'oboe'"), "{err}");
    let out = render(
        &["--preset", "Mine", "--model", &model],
        "mine.wav",
        Some(&data),
    );
    ok(&out);
    assert!(String::from_utf8_lossy(&out.stderr).contains("'wobble' is not a knob"));
    let (mine, _) = samples_of(&scratch("mine.wav"));
    assert_eq!(
        mine, long,
        "the user preset plays as the same knobs set by hand"
    );

    // Clear errors, each naming what would be right.
    for (args, wanted) in [
        (
            vec!["--model", &model, "--set", "Releese=5 ms"],
            vec!["no parameter called 'Releese'", "Release", "Vibrato Depth"],
        ),
        (
            vec!["--model", &model, "--set", "Release=9000 ms"],
            vec!["out of range", "5000 ms"],
        ),
        (
            vec!["--model", &model, "--set", "Voices=Duo"],
            vec!["Poly | Mono | Legato"],
        ),
        (
            vec!["--model", &model, "--set", "Release"],
            vec!["NAME=VALUE"],
        ),
        (
            vec!["--preset", "nope", "--model", &model],
            vec!["no Luthier preset called 'nope'", "Violin Expressive"],
        ),
    ] {
        let out = render(&args, "bad.wav", None);
        assert!(!out.status.success(), "{args:?} succeeded");
        let err = String::from_utf8_lossy(&out.stderr);
        for w in wanted {
            assert!(err.contains(w), "{args:?}: '{w}' not in {err}");
        }
    }
    let listed = luthier(&["params"]);
    let text = String::from_utf8_lossy(&listed.stdout);
    assert!(
        text.contains("Vibrato Depth") && text.contains("0 ct to 100 ct"),
        "{text}"
    );
    let listed = luthier(&["params", "--effect"]);
    assert!(String::from_utf8_lossy(&listed.stdout).contains("Lowest Pitch"));
}

/// A MIDI file's note ons and offs (seconds, key) and pitch bends (seconds, -1..1).
type Timed<T> = Vec<(f64, T)>;
fn midi_notes(mid: &Path) -> (Timed<u8>, Timed<u8>, Timed<f32>) {
    let bytes = std::fs::read(mid).unwrap();
    let smf = midly::Smf::parse(&bytes).unwrap();
    let midly::Timing::Metrical(tpq) = smf.header.timing else {
        panic!("timing")
    };
    let seconds_per_tick = 0.5 / tpq.as_int() as f64;
    let (mut now, mut ons, mut offs, mut bends) = (0u64, Vec::new(), Vec::new(), Vec::new());
    for event in &smf.tracks[0] {
        now += event.delta.as_int() as u64;
        let t = now as f64 * seconds_per_tick;
        if let midly::TrackEventKind::Midi { message, .. } = event.kind {
            match message {
                midly::MidiMessage::NoteOn { key, vel } if vel > 0 => ons.push((t, key.as_int())),
                midly::MidiMessage::NoteOff { key, .. } => offs.push((t, key.as_int())),
                midly::MidiMessage::PitchBend { bend } => bends.push((t, bend.as_f32())),
                _ => {}
            }
        }
    }
    (ons, offs, bends)
}

#[test]
fn transcribe_joins_a_lead_in_to_the_note_it_runs_into_unless_asked_for_the_live_stream() {
    // 60 ms a semitone under A3, then A3 for half a second, one continuous tone.
    let rate = 48_000u32;
    let wav = scratch("scoop.wav");
    let tone = move |i: usize, _| -> f32 {
        let t = i as f64 / rate as f64 - 0.1;
        let phase = match t {
            t if t < 0.0 => return 0.0,
            t if t < 0.06 => 207.652 * t,
            t if t < 0.56 => 207.652 * 0.06 + 220.0 * (t - 0.06),
            _ => return 0.0,
        };
        (1..=6)
            .map(|k| (std::f64::consts::TAU * k as f64 * phase).sin() / k as f64)
            .sum::<f64>() as f32
            * 0.3
    };
    write_wav(&wav, rate, 1, 16, tone, (0.8 * rate as f64) as usize);
    let mid = scratch("scoop.mid");
    let transcribe = |extra: &[&str]| {
        let mut args = vec![
            "transcribe",
            wav.to_str().unwrap(),
            "-o",
            mid.to_str().unwrap(),
        ];
        args.extend(extra);
        let result = luthier(&args);
        assert!(
            result.status.success(),
            "{}",
            String::from_utf8_lossy(&result.stderr)
        );
        midi_notes(&mid)
    };
    let keys = |ons: &[(f64, u8)]| ons.iter().map(|o| o.1).collect::<Vec<_>>();
    let (live, _, _) = transcribe(&["--min-note-ms", "0"]);
    assert_eq!(keys(&live), [56, 57], "{live:?}");
    let (ons, offs, bends) = transcribe(&[]);
    assert_eq!(keys(&ons), [57], "{ons:?}");
    assert_eq!(keys(&offs), [57], "{offs:?}");
    assert!((ons[0].0 - live[0].0).abs() < 1e-9, "{ons:?} {live:?}");
    // The lead-in plays a semitone under the key: -0.5 of a +-2 st wheel.
    let first = bends.iter().find(|b| b.0 >= ons[0].0).unwrap();
    assert!((first.1 + 0.5).abs() < 0.02, "{bends:?}");
    let bad = luthier(&[
        "transcribe",
        wav.to_str().unwrap(),
        "-o",
        mid.to_str().unwrap(),
        "--min-note-ms",
        "5000",
    ]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr)
        .contains("--min-note-ms must be between 0 and 1000 ms"));
}

#[test]
fn transcribe_writes_the_notes_it_hears_on_time() {
    // A3 for 0.5 s from 0.1 s, silence, C4 with a 30 ct vibrato for 0.6 s from 0.8 s.
    let rate = 48_000u32;
    let wav = scratch("melody.wav");
    let at = |s: f64| (s * rate as f64) as usize;
    let tone = move |i: usize, _| -> f32 {
        let t = i as f64 / rate as f64;
        // The phase (cycles) of each part: A3 steady; C4 with a 5 Hz, 30 ct vibrato, whose
        // frequency f0 (1 + a ln2 sin wt) integrates to f0 t - f0 a ln2 cos(wt) / w.
        let phase = if (0.1..0.6).contains(&t) {
            220.0 * t
        } else if (0.8..1.4).contains(&t) {
            let (f0, a, w) = (261.626, 0.3 / 12.0, std::f64::consts::TAU * 5.0);
            f0 * t - f0 * a * std::f64::consts::LN_2 * (w * t).cos() / w
        } else {
            return 0.0;
        };
        // A sawtooth-like tone, so that the tracker has harmonics to hear.
        (1..=6)
            .map(|k| (std::f64::consts::TAU * k as f64 * phase).sin() / k as f64)
            .sum::<f64>() as f32
            * 0.3
    };
    write_wav(&wav, rate, 1, 16, tone, at(1.6));
    let mid = scratch("melody.mid");
    let result = luthier(&[
        "transcribe",
        wav.to_str().unwrap(),
        "-o",
        mid.to_str().unwrap(),
    ]);
    assert!(
        result.status.success(),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    let (ons, offs, bends) = midi_notes(&mid);
    assert_eq!(
        ons.iter().map(|o| o.1).collect::<Vec<_>>(),
        [57, 60],
        "{ons:?}"
    );
    assert_eq!(
        offs.iter().map(|o| o.1).collect::<Vec<_>>(),
        [57, 60],
        "{offs:?}"
    );
    for ((on, _), expected) in ons.iter().zip([0.1, 0.8]) {
        assert!(
            (on - expected).abs() < 0.03,
            "a note on at {on:.3} s for one at {expected} s"
        );
    }
    for ((off, _), expected) in offs.iter().zip([0.6, 1.4]) {
        assert!(
            (off - expected).abs() < 0.06,
            "a note off at {off:.3} s for an end at {expected} s"
        );
    }
    // The vibrato is in the bends: +-30 ct of a +-2 st range is +-0.15 of the wheel.
    let during: Vec<f32> = bends
        .iter()
        .filter(|(t, _)| (0.9..1.3).contains(t))
        .map(|b| b.1)
        .collect();
    let swing = during.iter().fold(0.0f32, |m, b| m.max(b.abs()));
    assert!(
        (0.1..0.2).contains(&swing),
        "bends swing {swing:.3} of the wheel"
    );
}
