//! A screen for the editor tests: a private Xvfb server, an X11 window for a plugin's editor to
//! embed in (as a DAW's plugin window), screenshots of it, and a mouse that double-clicks
//! (`xdotool`, through the XTEST extension, as a person's clicks arrive).

use std::path::Path;
use std::process::{Child, Command, Stdio};
use x11rb::connection::Connection;
use x11rb::protocol::xproto::{
    ConfigureWindowAux, ConnectionExt, CreateWindowAux, EventMask, ImageFormat, WindowClass,
};
use x11rb::rust_connection::RustConnection;

pub struct Screen {
    server: Child,
    pub display: String,
    connection: RustConnection,
    root: u32,
    depth: u8,
}

/// A window's pixels, 8-bit RGB, row by row.
pub struct Picture {
    pub width: usize,
    pub height: usize,
    pub rgb: Vec<[u8; 3]>,
}

impl Screen {
    /// Starts Xvfb on a free display and points this process's X clients (the plugin's editor)
    /// at it through DISPLAY.
    pub fn start() -> Result<Self, String> {
        // A display number nobody holds: its lock file and socket are absent.
        let number = (90..190)
            .find(|n| {
                !Path::new(&format!("/tmp/.X{n}-lock")).exists()
                    && !Path::new(&format!("/tmp/.X11-unix/X{n}")).exists()
            })
            .ok_or("no free X display number")?;
        let display = format!(":{number}");
        let mut server = Command::new("Xvfb")
            .args([
                display.as_str(),
                "-screen",
                "0",
                "1600x1200x24",
                "-nolisten",
                "tcp",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start Xvfb ({e}): apt-get install xvfb"))?;
        let socket = format!("/tmp/.X11-unix/X{number}");
        let started = std::time::Instant::now();
        while !Path::new(&socket).exists() {
            if let Ok(Some(status)) = server.try_wait() {
                return Err(format!("Xvfb {display} exited: {status}"));
            }
            if started.elapsed().as_secs() > 20 {
                let _ = server.kill();
                return Err(format!("Xvfb {display} did not start within 20 s"));
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        // SAFETY: the tests that use a screen run alone in their process (one test per file).
        unsafe { std::env::set_var("DISPLAY", &display) };
        let (connection, screen) = RustConnection::connect(Some(&display))
            .map_err(|e| format!("connecting to {display}: {e}"))?;
        let setup = &connection.setup().roots[screen];
        let (root, depth) = (setup.root, setup.root_depth);
        Ok(Self {
            server,
            display,
            connection,
            root,
            depth,
        })
    }

    /// A mapped top-level window of this size, for an editor to embed in.
    pub fn window(&self, width: u32, height: u32) -> Result<u32, String> {
        let c = &self.connection;
        let id = c.generate_id().map_err(|e| e.to_string())?;
        c.create_window(
            self.depth,
            id,
            self.root,
            0,
            0,
            width as u16,
            height as u16,
            0,
            WindowClass::INPUT_OUTPUT,
            0,
            &CreateWindowAux::new()
                .background_pixel(0x202020)
                .event_mask(EventMask::STRUCTURE_NOTIFY),
        )
        .map_err(|e| e.to_string())?;
        c.map_window(id).map_err(|e| e.to_string())?;
        c.flush().map_err(|e| e.to_string())?;
        Ok(id)
    }

    pub fn resize(&self, window: u32, width: u32, height: u32) -> Result<(), String> {
        self.connection
            .configure_window(
                window,
                &ConfigureWindowAux::new().width(width).height(height),
            )
            .map_err(|e| e.to_string())?;
        self.connection.flush().map_err(|e| e.to_string())
    }

    /// What the window shows now, child windows (the editor) included.
    pub fn capture(&self, window: u32) -> Result<Picture, String> {
        let c = &self.connection;
        let geometry = c
            .get_geometry(window)
            .map_err(|e| e.to_string())?
            .reply()
            .map_err(|e| e.to_string())?;
        let (width, height) = (geometry.width, geometry.height);
        // The root's pixels at the window's place: a window's own image leaves out what its
        // children (the editor's GL surface) draw.
        let image = c
            .get_image(
                ImageFormat::Z_PIXMAP,
                self.root,
                geometry.x,
                geometry.y,
                width,
                height,
                !0,
            )
            .map_err(|e| e.to_string())?
            .reply()
            .map_err(|e| format!("get_image: {e}"))?;
        // 24-bit depth comes as 32 bits per pixel, little-endian BGRx.
        let rgb = image
            .data
            .chunks_exact(4)
            .map(|p| [p[2], p[1], p[0]])
            .collect();
        Ok(Picture {
            width: width as usize,
            height: height as usize,
            rgb,
        })
    }

    /// A PNG of the window, for people to look at.
    pub fn save_png(&self, window: u32, path: &Path) -> Result<(), String> {
        let status = Command::new("import")
            .args(["-display", &self.display, "-window", &window.to_string()])
            .arg(format!("png:{}", path.display()))
            .status()
            .map_err(|e| format!("cannot run import ({e}): apt-get install imagemagick"))?;
        status
            .success()
            .then_some(())
            .ok_or_else(|| format!("import failed for {}", path.display()))
    }

    /// A double-click with the left button at (x, y) in the window's pixels.
    pub fn double_click(&self, window: u32, x: i32, y: i32) -> Result<(), String> {
        self.clicks(window, x, y, 2)
    }

    pub fn click(&self, window: u32, x: i32, y: i32) -> Result<(), String> {
        self.clicks(window, x, y, 1)
    }

    /// Types `text` on the keyboard, into whatever has the focus.
    pub fn type_text(&self, text: &str) -> Result<(), String> {
        self.xdotool(&["type", "--delay", "40", text])
    }

    fn clicks(&self, window: u32, x: i32, y: i32, count: u32) -> Result<(), String> {
        let (window, x, y, count) = (
            window.to_string(),
            x.to_string(),
            y.to_string(),
            count.to_string(),
        );
        self.xdotool(&[
            "mousemove",
            "--window",
            &window,
            &x,
            &y,
            "click",
            "--repeat",
            &count,
            "--delay",
            "60",
            "1",
        ])
    }

    /// Runs xdotool on this screen (the XTEST extension: input as a person's arrives).
    fn xdotool(&self, args: &[&str]) -> Result<(), String> {
        let status = Command::new("xdotool")
            .env("DISPLAY", &self.display)
            .args(args)
            .status()
            .map_err(|e| format!("cannot run xdotool ({e}): apt-get install xdotool"))?;
        status
            .success()
            .then_some(())
            .ok_or(format!("xdotool {} failed", args[0]))
    }
}

/// An entry of the file an editor writes where `LUTHIER_EDITOR_LAYOUT` says: a widget's place
/// (x, y, width, height in the window's pixels), or `scope_frames` (the live frames taken in).
pub fn layout_entry(layout: &Path, id: &str) -> Result<[f64; 4], String> {
    let text = std::fs::read_to_string(layout).map_err(|e| format!("{}: {e}", layout.display()))?;
    let key = format!("\"{id}\":[");
    let at = text
        .find(&key)
        .ok_or_else(|| format!("no {id} in {text}"))?
        + key.len();
    let numbers: Vec<f64> = text[at..]
        .split(']')
        .next()
        .unwrap_or("")
        .split(',')
        .filter_map(|n| n.trim().parse().ok())
        .collect();
    numbers
        .try_into()
        .map_err(|n: Vec<f64>| format!("{id}: {} numbers, not 4", n.len()))
}

impl Drop for Screen {
    fn drop(&mut self) {
        let _ = self.server.kill();
        let _ = self.server.wait();
    }
}

impl Picture {
    /// The share of pixels that differ from the picture's commonest colour, and how many
    /// colours it has: a blank or single-colour window has 0 and 1.
    pub fn busyness(&self) -> (f64, usize) {
        let mut counts = std::collections::HashMap::new();
        for p in &self.rgb {
            *counts.entry(*p).or_insert(0usize) += 1;
        }
        let commonest = counts.values().copied().max().unwrap_or(0);
        let share = 1.0 - commonest as f64 / self.rgb.len().max(1) as f64;
        (share, counts.len())
    }

    /// The share of pixels that differ between two pictures of the same size, within a region
    /// (x, y, width, height), or everywhere.
    pub fn changed(&self, other: &Picture, region: Option<(usize, usize, usize, usize)>) -> f64 {
        assert_eq!((self.width, self.height), (other.width, other.height));
        let (x0, y0, w, h) = region.unwrap_or((0, 0, self.width, self.height));
        let mut changed = 0usize;
        for y in y0..(y0 + h).min(self.height) {
            for x in x0..(x0 + w).min(self.width) {
                let i = y * self.width + x;
                if self.rgb[i] != other.rgb[i] {
                    changed += 1;
                }
            }
        }
        changed as f64 / (w * h).max(1) as f64
    }
}
