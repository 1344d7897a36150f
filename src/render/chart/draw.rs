//! Paints a chart [`Layout`] with plotters: the KPI header, then the two
//! bar panels side by side, each with its legend in a strip of its own so
//! no legend covers a bar.

use super::layout::{Arrow, Bars, Kpi, Layout};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::sync::Once;

/// The font every chart uses, shipped with the binary: no system fonts needed.
const FONT: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSansMono.ttf");
/// The font's advance width per point of size (DejaVu Sans Mono), for laying out legends.
const ADVANCE: f64 = 0.602;

const INK: RGBColor = RGBColor(33, 37, 41);
const MUTED: RGBColor = RGBColor(108, 117, 125);
const TILE: RGBColor = RGBColor(241, 243, 245);
const GOOD: RGBColor = RGBColor(0, 135, 90);
const BAD: RGBColor = RGBColor(200, 40, 40);

type Area<'a> = DrawingArea<BitMapBackend<'a>, Shift>;

fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if plotters::style::register_font("sans-serif", FontStyle::Normal, FONT).is_err() {
            tracing::error!("the embedded chart font could not be loaded");
        }
    });
}

fn font(size: u32, colour: RGBColor) -> TextStyle<'static> {
    ("sans-serif", size).into_font().color(&colour)
}

fn anchored(size: u32, colour: RGBColor, h: HPos, v: VPos) -> TextStyle<'static> {
    font(size, colour).pos(Pos::new(h, v))
}

/// The layout painted into a `w`×`h` PNG.
pub fn png(l: &Layout, (w, h): (u32, u32)) -> anyhow::Result<Vec<u8>> {
    register_font();
    let mut buf = vec![0u8; (w * h * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
        root.fill(&WHITE)?;
        let (top, rest) = root.split_vertically(70);
        top.draw(&Text::new(
            l.title.clone(),
            (24, 38),
            anchored(34, INK, HPos::Left, VPos::Center),
        ))?;
        let (header, panels) = rest.split_vertically(200);
        kpis(&header, &l.kpis)?;
        let (left, right) = panels.split_horizontally(w / 2);
        bars(&left, &l.incidents, &l.weeks)?;
        bars(&right, &l.delivery, &l.weeks)?;
        root.present()?;
    }
    let img = image::RgbImage::from_raw(w, h, buf).ok_or_else(|| anyhow::anyhow!("chart buffer size"))?;
    let mut png = std::io::Cursor::new(Vec::new());
    img.write_to(&mut png, image::ImageOutputFormat::Png)?;
    Ok(png.into_inner())
}

/// The header: the figures in tiles of three columns, each with its label,
/// its value large, its trend arrow and what it counts.
fn kpis(area: &Area<'_>, kpis: &[Kpi]) -> anyhow::Result<()> {
    let area = area.margin(0, 6, 16, 16);
    let columns = 3;
    let rows = kpis.len().div_ceil(columns).max(1);
    let tiles = area.split_evenly((rows, columns));
    for (tile, k) in tiles.iter().zip(kpis) {
        let tile = tile.margin(4, 4, 5, 5);
        let (tw, th) = tile.dim_in_pixel();
        let (tw, th) = (tw as i32, th as i32);
        tile.draw(&Rectangle::new([(0, 0), (tw, th)], TILE.filled()))?;
        tile.draw(&Text::new(
            fit(&k.label, tw - 28, 19),
            (14, 20),
            anchored(19, MUTED, HPos::Left, VPos::Center),
        ))?;
        let mid = th / 2 + 14;
        let value_size = fitting_size(&k.value, tw / 2, 40);
        tile.draw(&Text::new(
            k.value.clone(),
            (14, mid),
            anchored(value_size, INK, HPos::Left, VPos::Center),
        ))?;
        let after_value = 14 + text_width(&k.value, value_size) + 22;
        draw_arrow(&tile, k.arrow, (after_value, mid))?;
        let detail_x = after_value + 24;
        tile.draw(&Text::new(
            fit(&k.detail, tw - detail_x - 10, 17),
            (detail_x, mid),
            anchored(17, MUTED, HPos::Left, VPos::Center),
        ))?;
    }
    Ok(())
}

fn text_width(text: &str, size: u32) -> i32 {
    (text.chars().count() as f64 * size as f64 * ADVANCE).ceil() as i32
}

/// The largest size up to `max` at which `text` fits `width` pixels.
fn fitting_size(text: &str, width: i32, max: u32) -> u32 {
    let chars = text.chars().count().max(1) as f64;
    ((width as f64 / (chars * ADVANCE)) as u32).clamp(14, max)
}

/// `text` shortened with `…` to fit `width` pixels at `size`.
fn fit(text: &str, width: i32, size: u32) -> String {
    let max = (width as f64 / (size as f64 * ADVANCE)) as usize;
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let cut: String = text.chars().take(max.saturating_sub(1)).collect();
        format!("{cut}…")
    }
}

/// A filled triangle: green when the move is an improvement, red when not,
/// a grey bar for no change, nothing when the previous period has no data.
fn draw_arrow(area: &Area<'_>, a: Arrow, (x, y): (i32, i32)) -> anyhow::Result<()> {
    let s = 13;
    let (points, colour) = match a {
        Arrow::Up { good } => (
            vec![(x - s, y + s / 2), (x + s, y + s / 2), (x, y - s)],
            if good { GOOD } else { BAD },
        ),
        Arrow::Down { good } => (
            vec![(x - s, y - s / 2), (x + s, y - s / 2), (x, y + s)],
            if good { GOOD } else { BAD },
        ),
        Arrow::Same => (
            vec![(x - s, y - 3), (x + s, y - 3), (x + s, y + 3), (x - s, y + 3)],
            MUTED,
        ),
        Arrow::Unknown => return Ok(()),
    };
    area.draw(&Polygon::new(points, colour.filled()))?;
    Ok(())
}

/// Legend entries laid out in rows that fit `width`: every series is shown.
fn legend_rows(names: &[String], width: i32, size: u32) -> Vec<Vec<usize>> {
    let mut rows: Vec<Vec<usize>> = vec![Vec::new()];
    let mut used = 0;
    for (i, n) in names.iter().enumerate() {
        let w = legend_width(n, size);
        if used + w > width && !rows.last().is_some_and(Vec::is_empty) {
            rows.push(Vec::new());
            used = 0;
        }
        if let Some(r) = rows.last_mut() {
            r.push(i);
        }
        used += w;
    }
    rows
}

fn legend_width(name: &str, size: u32) -> i32 {
    // Swatch, gap, text, space to the next entry.
    size as i32 + 8 + (name.chars().count() as f64 * size as f64 * ADVANCE) as i32 + 22
}

fn bars(area: &Area<'_>, b: &Bars, weeks: &[String]) -> anyhow::Result<()> {
    let area = area.margin(6, 14, 16, 16);
    let (w, _) = area.dim_in_pixel();
    let size = 18;
    let names: Vec<String> = b.series.iter().map(|s| s.name.clone()).collect();
    let rows = legend_rows(&names, w as i32 - 20, size);
    let (caption, rest) = area.split_vertically(40);
    caption.draw(&Text::new(
        b.caption.clone(),
        (4, 20),
        anchored(22, INK, HPos::Left, VPos::Center),
    ))?;
    let legend_h = if b.series.is_empty() {
        0
    } else {
        rows.len() as u32 * 28 + 6
    };
    let (legend, plot) = rest.split_vertically(legend_h);
    for (r, row) in rows.iter().enumerate() {
        let mut x = 8;
        let y = 14 + r as i32 * 28;
        for &i in row {
            let s = &b.series[i];
            let c = RGBColor(s.rgb.0, s.rgb.1, s.rgb.2);
            legend.draw(&Rectangle::new([(x, y - 8), (x + 16, y + 8)], c.filled()))?;
            legend.draw(&Text::new(
                s.name.clone(),
                (x + 16 + 8, y),
                anchored(size, INK, HPos::Left, VPos::Center),
            ))?;
            x += legend_width(&s.name, size);
        }
    }
    let n = weeks.len().max(1);
    let mut chart = ChartBuilder::on(&plot)
        .margin_top(8)
        .margin_right(8)
        .x_label_area_size(36)
        .y_label_area_size(44)
        .build_cartesian_2d(0f64..n as f64, 0i64..b.y_max)?;
    let step = b.y_step.max(1);
    let label = |y: &i64| {
        if y % step == 0 {
            y.to_string()
        } else {
            String::new()
        }
    };
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(0)
        .y_labels((b.y_max / step + 1) as usize)
        .y_label_formatter(&label)
        .y_label_style(font(17, MUTED))
        .light_line_style(TRANSPARENT)
        .bold_line_style(RGBColor(222, 226, 230))
        .axis_style(MUTED)
        .draw()?;
    // Week labels centred under their bars, thinned to fit.
    let every = (n as f64 * 6.0 * 17.0 * ADVANCE / (w as f64 - 60.0))
        .ceil()
        .max(1.0) as usize;
    for (i, wk) in weeks.iter().enumerate().filter(|(i, _)| i % every == 0) {
        let (px, py) = chart.backend_coord(&(i as f64 + 0.5, 0));
        let (ox, oy) = plot.get_base_pixel();
        plot.draw(&Text::new(
            wk.clone(),
            (px - ox, py - oy + 18),
            anchored(17, MUTED, HPos::Center, VPos::Center),
        ))?;
    }
    if let Some(empty) = &b.empty {
        let (px, py) = chart.backend_coord(&(n as f64 / 2.0, b.y_max / 2));
        let (ox, oy) = plot.get_base_pixel();
        plot.draw(&Text::new(
            empty.clone(),
            (px - ox, py - oy),
            anchored(20, MUTED, HPos::Center, VPos::Center),
        ))?;
        return Ok(());
    }
    let k = b.series.len().max(1) as f64;
    for (si, s) in b.series.iter().enumerate() {
        let c = RGBColor(s.rgb.0, s.rgb.1, s.rgb.2);
        let corners: Vec<[(f64, i64); 2]> = s
            .values
            .iter()
            .enumerate()
            .filter(|(_, v)| **v > 0)
            .map(|(i, v)| {
                let x = i as f64;
                if b.stacked {
                    let below: i64 = b.series[..si].iter().map(|o| o.values[i]).sum();
                    [(x + 0.2, below), (x + 0.8, below + v)]
                } else {
                    let width = 0.7 / k;
                    let x0 = x + 0.15 + width * si as f64;
                    [(x0, 0), (x0 + width * 0.92, *v)]
                }
            })
            .collect();
        chart.draw_series(corners.iter().map(|c2| Rectangle::new(*c2, c.filled())))?;
        // A white edge keeps touching segments of a stack apart.
        chart.draw_series(
            corners
                .iter()
                .map(|c2| Rectangle::new(*c2, WHITE.stroke_width(2))),
        )?;
    }
    Ok(())
}
