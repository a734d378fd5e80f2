//! Both plugins' editors, opened for real: the release `.clap` in the CLAP test host, each
//! editor embedded in an X11 window on a private Xvfb screen, as a DAW embeds it. While a
//! phrase plays the test takes screenshots (kept in `target/editor-screenshots/` for people to
//! look at) and checks that the window draws a picture (not a blank), that the picture follows
//! the music (the live views change while notes play), that a double-click on a knob puts its
//! parameter back to its default, and that closing and reopening the editor while playing works.

use clack_host::prelude::ClapId;
use luthier_tests::clap_host::{ClapBundle, ClapPlugin, Note, Pacing};
use luthier_tests::display::{layout_entry, Picture, Screen};
use luthier_tests::paths::{clap_bundle, workspace_root};
use std::path::Path;

const RATE: f64 = 48_000.0;
const BLOCK: usize = 512;

/// Plays `seconds` paced as live playback: a phrase of notes for the instrument, a gliding,
/// swelling sawtooth (a voice-like line) for the effect; silence when `quiet`.
fn play(plugin: &mut ClapPlugin, instrument: bool, seconds: f64, quiet: bool) {
    let frames = (seconds * RATE) as usize;
    if instrument {
        let notes: Vec<Note> = if quiet {
            Vec::new()
        } else {
            [(60u8, 0.0), (64, 0.25), (67, 0.5), (72, 0.75)]
                .iter()
                .map(|&(key, at)| Note {
                    key,
                    velocity: 0.8,
                    on: (at * seconds * RATE) as usize,
                    off: frames - (0.1 * RATE) as usize,
                })
                .collect()
        };
        plugin.render(&[], frames, &notes, &[BLOCK]);
    } else {
        let mut phase = 0.0f64;
        let input: Vec<f32> = (0..frames)
            .map(|i| {
                let t = i as f64 / RATE;
                let hz = 220.0
                    * 2f64.powf(t / seconds)
                    * (1.0 + 0.01 * (2.0 * std::f64::consts::PI * 5.5 * t).sin());
                phase = (phase + hz / RATE).fract();
                let swell = (std::f64::consts::PI * t / seconds).sin();
                if quiet {
                    0.0
                } else {
                    (0.3 * swell * (2.0 * phase - 1.0)) as f32
                }
            })
            .collect();
        plugin.render(&[input.clone(), input], frames, &[], &[BLOCK]);
    }
}

/// The widget's place on screen, from the editor's layout file: (x, y, width, height).
fn knob_rect(layout: &Path, id: &str) -> (f64, f64, f64, f64) {
    let [x, y, w, h] = layout_entry(layout, id).unwrap();
    (x, y, w, h)
}

/// Clicks (`clicks` times) the middle of the widget the layout file names.
fn press(screen: &Screen, window: u32, layout: &Path, id: &str, clicks: u32) {
    let (x, y, w, h) = knob_rect(layout, id);
    let (x, y) = ((x + w / 2.0) as i32, (y + h / 2.0) as i32);
    match clicks {
        2 => screen.double_click(window, x, y),
        _ => screen.click(window, x, y),
    }
    .unwrap();
}

fn param(plugin: &mut ClapPlugin, name: &str) -> ClapId {
    let found = plugin.params().into_iter().find(|(n, _)| n == name);
    found.unwrap_or_else(|| panic!("no parameter {name}")).1
}

fn check_drawn(picture: &Picture, what: &str) {
    let (busy, colours) = picture.busyness();
    assert!(
        busy > 0.2 && colours > 40,
        "{what}: the window looks blank ({:.1} % of pixels off its commonest colour, {colours} colours)",
        busy * 100.0
    );
}

#[test]
fn both_editors_draw_follow_the_music_and_reset_a_knob_on_double_click() {
    let screen = Screen::start().unwrap();
    let shots = workspace_root().join("target/editor-screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let bundle = ClapBundle::load(&clap_bundle()).unwrap();
    // User presets go to a folder of the test's own.
    let user_data = shots.join("user-data");
    let _ = std::fs::remove_dir_all(&user_data);
    unsafe { std::env::set_var("XDG_DATA_HOME", &user_data) };
    for (id, instrument, name, knob) in [
        ("audio.luthier.instrument", true, "instrument", "attack"),
        ("audio.luthier.fx", false, "effect", "in_gain"),
    ] {
        let layout = shots.join(format!("{name}-layout.json"));
        let _ = std::fs::remove_file(&layout);
        // Read by the editor when the plugin makes it (at instantiation).
        unsafe { std::env::set_var("LUTHIER_EDITOR_LAYOUT", &layout) };
        let mut plugin = bundle.instantiate(id).unwrap();
        plugin.activate(RATE, BLOCK).unwrap();
        plugin.set_pacing(Pacing::WallClock);
        let parent = screen.window(200, 200).unwrap();
        let (width, height) = plugin.open_editor(parent).unwrap();
        assert!(
            width >= 800 && height >= 400,
            "{name}: editor of {width}x{height}"
        );
        screen.resize(parent, width, height).unwrap();

        play(&mut plugin, instrument, 1.0, true);
        let idle = screen.capture(parent).unwrap();
        screen
            .save_png(parent, &shots.join(format!("{name}-idle.png")))
            .unwrap();
        check_drawn(&idle, name);

        play(&mut plugin, instrument, 1.5, false);
        let playing = screen.capture(parent).unwrap();
        screen
            .save_png(parent, &shots.join(format!("{name}-playing.png")))
            .unwrap();
        check_drawn(&playing, name);
        // The live views (below the header, the top third of the window) follow the music.
        let (fed, _, _, _) = knob_rect(&layout, "scope_frames");
        assert!(
            fed >= 100.0,
            "{name}: the editor took in {fed} live frames in 1.5 s of playing"
        );
        let views = (0, height as usize / 14, width as usize, height as usize / 4);
        let moved = idle.changed(&playing, Some(views));
        assert!(
            moved > 0.01,
            "{name}: the live views did not change while playing ({:.2} % of their pixels)",
            moved * 100.0
        );

        // A knob set off its default by the host, then double-clicked, is back at its default.
        let knob_param = param(
            &mut plugin,
            if instrument { "Attack" } else { "Input Gain" },
        );
        let default = plugin.param_default(knob_param).unwrap();
        plugin.set_param(knob_param, 0.8);
        play(&mut plugin, instrument, 0.5, true);
        let moved_to = plugin.param_value(knob_param).unwrap();
        assert!(
            (moved_to - default).abs() > 0.1,
            "{name}: {knob} did not move ({moved_to})"
        );
        press(&screen, parent, &layout, knob, 2);
        play(&mut plugin, instrument, 0.6, true);
        let after = plugin.param_value(knob_param).unwrap();
        assert!(
            (after - default).abs() < 1e-6,
            "{name}: a double-click on {knob} left it at {after}, not its default {default}"
        );

        // The next-preset button loads the factory presets in order: the first model's plain
        // preset, then its next (the instrument's Expressive slurs, Legato; the effect's Warm
        // tilts the spectrum down 2 dB/oct), model included.
        let (check_name, check_value) = if instrument {
            ("Voices", 2.0)
        } else {
            ("Tilt", 10.0 / 24.0)
        };
        let check = param(&mut plugin, check_name);
        let model = param(&mut plugin, "Model");
        // Three times next (the first three presets), then back one: the second.
        for (button, times) in [("preset_next", 3), ("preset_previous", 1)] {
            for _ in 0..times {
                press(&screen, parent, &layout, button, 1);
                play(&mut plugin, instrument, 0.3, true);
            }
        }
        let value = plugin.param_value(check).unwrap();
        assert!(
            (value - check_value).abs() < 1e-3,
            "{name}: after the second preset {check_name} is {value}, not {check_value}"
        );
        // Alto sax is the first model listed, and its presets the first.
        assert_eq!(
            plugin.param_value(model),
            Some(0.0),
            "{name}: the preset's model"
        );

        // Every knob is drawn (the Model is the header's picker, not a knob).
        let knobs = plugin.params().len() - 1;
        let layout_text = std::fs::read_to_string(&layout).unwrap();
        let drawn = layout_text.matches(":[").count()
            - ["preset_", "scale_", "scope_frames"]
                .iter()
                .map(|k| layout_text.matches(&format!("\"{k}")).count())
                .sum::<usize>();
        assert_eq!(
            drawn, knobs,
            "{name}: {drawn} knobs drawn of {knobs}: {layout_text}"
        );

        // A preset of one's own: typed name, Save, and a readable file in the user's folder
        // with every knob and the model.
        press(&screen, parent, &layout, "preset_name", 1);
        play(&mut plugin, instrument, 0.2, true);
        screen.type_text("Take One").unwrap();
        play(&mut plugin, instrument, 0.3, true);
        press(&screen, parent, &layout, "preset_save", 1);
        play(&mut plugin, instrument, 0.3, true);
        let plugin_name = if instrument { "Luthier" } else { "Luthier FX" };
        let saved = user_data.join(format!("luthier/presets/{plugin_name}/Take One.json"));
        let text = std::fs::read_to_string(&saved)
            .unwrap_or_else(|e| panic!("{name}: no saved preset at {}: {e}", saved.display()));
        assert!(
            text.contains("\"model\": \"alto_sax\"") && text.contains("\"tilt\""),
            "{name}: {text}"
        );
        assert_eq!(
            text.matches("\n    \"").count(),
            knobs - 1,
            "{name}: every knob but bypass: {text}"
        );

        // Closed and opened again while playing, it draws again.
        plugin.close_editor();
        play(&mut plugin, instrument, 0.3, false);
        plugin.open_editor(parent).unwrap();
        play(&mut plugin, instrument, 0.8, false);
        check_drawn(&screen.capture(parent).unwrap(), name);

        // One step larger (115 %): the editor asks the host for a window that much bigger,
        // and the size is the plugin's state: a fresh instance given it opens as large.
        press(&screen, parent, &layout, "scale_up", 1);
        play(&mut plugin, instrument, 0.5, true);
        let larger = (width as f64 * 1.15, height as f64 * 1.15);
        let near = |got: Option<(u32, u32)>| {
            got.is_some_and(|(w, h)| {
                (w as f64 - larger.0).abs() < 3.0 && (h as f64 - larger.1).abs() < 3.0
            })
        };
        let asked = plugin.editor_resize_request();
        assert!(
            near(asked),
            "{name}: asked for {asked:?} after one step up from {width}x{height}"
        );
        let state = plugin.save_state().unwrap();
        plugin.close_editor();
        play(&mut plugin, instrument, 0.2, true);
        let mut fresh = bundle.instantiate(id).unwrap();
        fresh.load_state(&state).unwrap();
        fresh.activate(RATE, BLOCK).unwrap();
        fresh.set_pacing(Pacing::WallClock);
        fresh.open_editor(parent).unwrap();
        play(&mut fresh, instrument, 0.5, true);
        let asked = fresh.editor_resize_request();
        assert!(
            near(asked),
            "{name}: a fresh instance given the state asked for {asked:?}"
        );
        fresh.close_editor();
        play(&mut fresh, instrument, 0.2, true);
    }
}
