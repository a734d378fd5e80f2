//! Live CPU, as a host sees it: the release `.clap` in the CLAP test host, `process` paced at
//! wall-clock time (a live session at 48 kHz), the CPU time of every thread of the process (the
//! host's loop, the audio thread, the decoder thread and ONNX Runtime's) over the wall time. Each
//! case runs in its own process, after a second of warm-up; beside each, the same with no model
//! and bare ONNX Runtime calls of the same shapes at the same pace (`plugin/examples/
//! bare_decoder.rs`), measured in the same run. The three are run in turn, REPEATS times, and
//! the medians reported: on the shared 2-core machines here the same run varies by a third.
//!
//! The instrument runs twice per voice count: as it comes, and "expressive", with every
//! expression control and timbre knob active (vibrato, volume fluctuation, brightness, attack
//! noise, tilt, timbre pitch, width) and a player's controllers streaming (pitch bend and CC11
//! every 10 ms). `LUTHIER_BENCH_BLOCKS=256,1024` picks the block sizes (default 64..1024).
//!
//! Run by `cargo xtask bench-cpu [SECONDS]`, which builds what it needs and passes the paths.
//! Here: `live-cpu CLAP_BUNDLE BARE_DECODER MODEL.onnx SECONDS [EARLIER_CLAP_BUNDLE]`; with the
//! last, an earlier build is measured beside this one (with the model), in the same run.

use luthier_tests::clap_host::{ClapBundle, Note, Pacing};
use std::path::Path;
use std::process::Command;

const RATE: f64 = 48_000.0;
const BLOCKS: [usize; 4] = [64, 256, 512, 1024];
const REPEATS: usize = 3;

fn process_cpu_seconds() -> f64 {
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // Safety: getrusage only writes the struct it is given.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    let t = |v: libc::timeval| v.tv_sec as f64 + v.tv_usec as f64 * 1e-6;
    t(usage.ru_utime) + t(usage.ru_stime)
}

#[derive(Clone, Copy, PartialEq)]
enum Case {
    Instrument(usize),
    /// The instrument with every expression control on and controllers streaming.
    Expressive(usize),
    Effect,
}

impl Case {
    fn name(self) -> String {
        match self {
            Case::Instrument(1) => "instrument, 1 voice".into(),
            Case::Instrument(n) => format!("instrument, {n} voices"),
            Case::Expressive(1) => "instrument, 1 voice, expressive".into(),
            Case::Expressive(n) => format!("instrument, {n} voices, expressive"),
            Case::Effect => "effect".into(),
        }
    }

    fn voices(self) -> usize {
        match self {
            Case::Instrument(n) | Case::Expressive(n) => n,
            Case::Effect => 1,
        }
    }

    fn arg(self) -> String {
        match self {
            Case::Instrument(n) => format!("instrument{n}"),
            Case::Expressive(n) => format!("expressive{n}"),
            Case::Effect => "effect".into(),
        }
    }

    fn parse(s: &str) -> Self {
        if let Some(n) = s.strip_prefix("instrument") {
            return Case::Instrument(n.parse().unwrap());
        }
        match s.strip_prefix("expressive") {
            Some(n) => Case::Expressive(n.parse().unwrap()),
            None => Case::Effect,
        }
    }
}

/// Every expression control and timbre knob of the instrument away from its default, in CLAP's
/// terms (0..1 of each knob's range).
const EXPRESSIVE_KNOBS: [(&str, f64); 9] = [
    ("Vibrato Depth", 0.3),
    ("Vibrato Delay", 0.0),
    ("Volume Fluctuation", 0.25),
    ("Brightness", 0.65),
    ("Attack Noise", 0.625),
    ("Tilt", 0.4),
    ("Timbre Pitch", 0.55),
    ("Width", 0.5),
    ("Mod Wheel Vibrato", 0.5),
];

/// A player's controllers over `len` samples: pitch bend and CC11 every 10 ms on channel 1.
fn controller_stream(plugin: &mut luthier_tests::clap_host::ClapPlugin, len: usize) {
    for (i, at) in (0..len).step_by((RATE / 100.0) as usize).enumerate() {
        let t = i as f64 / 100.0;
        let bend = (8192.0 + 2000.0 * (std::f64::consts::TAU * 0.7 * t).sin()) as u16;
        plugin.midi_at(at, [0xE0, (bend & 0x7F) as u8, (bend >> 7) as u8]);
        let swell = (90.0 + 30.0 * (std::f64::consts::TAU * 0.3 * t).sin()) as u8;
        plugin.midi_at(at, [0xB0, 11, swell]);
    }
}

/// A sung-like line: a 220 Hz tone with 5.5 Hz vibrato and a few harmonics.
fn voice_like(len: usize) -> Vec<f32> {
    let mut phase = 0.0f64;
    (0..len)
        .map(|i| {
            let t = i as f64 / RATE;
            phase += 220.0 * (1.0 + 0.01 * (std::f64::consts::TAU * 5.5 * t).sin()) / RATE;
            let x: f64 = (1..=6)
                .map(|k| (std::f64::consts::TAU * k as f64 * phase).sin() / k as f64)
                .sum();
            (0.25 * x) as f32
        })
        .collect()
}

/// In a child process: one case, paced live; prints `cpu_seconds wall_seconds`.
fn child(bundle: &Path, case: Case, block: usize, seconds: f64, model: &str) {
    std::env::set_var("LUTHIER_MODEL", model);
    let bundle = ClapBundle::load(bundle).unwrap();
    let id = match case {
        Case::Instrument(_) | Case::Expressive(_) => "audio.luthier.instrument",
        Case::Effect => "audio.luthier.fx",
    };
    let mut plugin = bundle.instantiate(id).unwrap();
    plugin.set_offline(false).unwrap();
    plugin.activate(RATE, block).unwrap();
    plugin.set_pacing(Pacing::WallClock);
    let warm = RATE as usize;
    let len = (seconds * RATE) as usize;
    let input = match case {
        Case::Effect => voice_like(warm + len),
        Case::Instrument(_) | Case::Expressive(_) => Vec::new(),
    };
    let inputs = |from: usize, to: usize| match case {
        Case::Effect => vec![input[from..to].to_vec(), input[from..to].to_vec()],
        Case::Instrument(_) | Case::Expressive(_) => vec![],
    };
    if let Case::Expressive(_) = case {
        for (name, value) in EXPRESSIVE_KNOBS {
            let id = plugin
                .param_id(name)
                .unwrap_or_else(|| panic!("no knob '{name}'"));
            plugin.set_param(id, value);
        }
        // The mod wheel half up, for the mod wheel's vibrato.
        plugin.midi_at(0, [0xB0, 1, 64]);
    }
    // Held notes, from the first sample to past the end (their note-offs never come).
    let notes: Vec<Note> = (0..case.voices())
        .map(|v| Note {
            key: 55 + 4 * v as u8,
            velocity: 0.8,
            on: 0,
            off: usize::MAX,
        })
        .collect();
    plugin.render(&inputs(0, warm), warm, &notes, &[block]);
    if let Case::Expressive(_) = case {
        controller_stream(&mut plugin, len);
    }
    let cpu = process_cpu_seconds();
    let started = std::time::Instant::now();
    let out = plugin.render(&inputs(warm, warm + len), len, &[], &[block]);
    let (cpu, wall) = (process_cpu_seconds() - cpu, started.elapsed().as_secs_f64());
    let level = out[0].iter().map(|x| x * x).sum::<f32>() / out[0].len() as f32;
    assert!(level > 1e-8, "{}: the plugin was silent", case.name());
    println!("{cpu} {wall}");
}

/// Runs a command and reads its `cpu wall` line: the CPU share of one core.
fn share(command: &mut Command) -> f64 {
    let output = command.output().expect("run the case");
    let text = String::from_utf8_lossy(&output.stdout);
    let line = text.lines().last().unwrap_or_default();
    let mut fields = line.split_whitespace().map(|f| f.parse::<f64>());
    match (fields.next(), fields.next()) {
        (Some(Ok(cpu)), Some(Ok(wall))) if output.status.success() => cpu / wall,
        _ => panic!(
            "a case failed: {}\n{}",
            text,
            String::from_utf8_lossy(&output.stderr)
        ),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--child") {
        let [_, _, bundle, case, block, seconds, model] = &args[..] else {
            panic!("child arguments");
        };
        child(
            Path::new(bundle),
            Case::parse(case),
            block.parse().unwrap(),
            seconds.parse().unwrap(),
            model,
        );
        return;
    }
    let (bundle, bare, model, seconds, earlier) = match &args[..] {
        [_, bundle, bare, model, seconds] => (bundle, bare, model, seconds, None),
        [_, bundle, bare, model, seconds, earlier] => (bundle, bare, model, seconds, Some(earlier)),
        _ => {
            eprintln!("usage: live-cpu CLAP_BUNDLE BARE_DECODER MODEL.onnx SECONDS [EARLIER_CLAP]");
            std::process::exit(2);
        }
    };
    let me = std::env::current_exe().unwrap();
    let run = |bundle: &str, case: Case, block: usize, model: &str| {
        share(
            Command::new(&me)
                .args(["--child", bundle, &case.arg(), &block.to_string(), seconds])
                .arg(model),
        )
    };
    let plugin = |case: Case, block: usize, model: &str| run(bundle, case, block, model);
    let ort = |voices: usize, block: usize| {
        share(Command::new(bare).args([model, &voices.to_string(), &block.to_string(), seconds]))
    };
    println!(
        "Live CPU at 48 kHz, paced at wall-clock time, {seconds} s per case after 1 s of \
         warm-up, every thread of the process, median of {REPEATS} (% of one core):\n"
    );
    println!(
        "| case | block | plugin with model | no model | bare ONNX Runtime, same calls | \
         plugin / bare ORT | (plugin - no model) / bare ORT |{}",
        if earlier.is_some() {
            " earlier build, with model |"
        } else {
            ""
        }
    );
    println!(
        "|---|---|---|---|---|---|---|{}",
        if earlier.is_some() { "---|" } else { "" }
    );
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let blocks: Vec<usize> = match std::env::var("LUTHIER_BENCH_BLOCKS") {
        Ok(list) => list.split(',').map(|b| b.trim().parse().unwrap()).collect(),
        Err(_) => BLOCKS.to_vec(),
    };
    let cases = [
        Case::Instrument(1),
        Case::Expressive(1),
        Case::Instrument(8),
        Case::Expressive(8),
        Case::Effect,
    ];
    for case in cases {
        for &block in &blocks {
            let (mut with, mut without, mut bare) = (Vec::new(), Vec::new(), Vec::new());
            let mut before = Vec::new();
            for _ in 0..REPEATS {
                with.push(plugin(case, block, model));
                without.push(plugin(case, block, "none"));
                bare.push(ort(case.voices(), block));
                if let Some(earlier) = earlier {
                    before.push(run(earlier, case, block, model));
                }
            }
            let (with, without, bare) = (median(with), median(without), median(bare));
            let before = if before.is_empty() {
                String::new()
            } else {
                format!(" {:.2} % |", median(before) * 100.0)
            };
            println!(
                "| {} | {block} | {:.2} % | {:.2} % | {:.2} % | {:.2} | {:.2} |{before}",
                case.name(),
                with * 100.0,
                without * 100.0,
                bare * 100.0,
                with / bare,
                (with - without) / bare
            );
        }
    }
}
