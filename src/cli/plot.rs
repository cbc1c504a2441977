//! The pictures of `simulate --svg`, `replay --stats --svg` and `advise --svg`, drawn with
//! plotters' SVG backend: labelled axes with units, wall-clock dates on time axes, the legend
//! in a corner away from the data.

use crate::sim::SimReport;
use crate::time::{Duration, EventTime};
use plotters::prelude::*;

const SIZE: (u32, u32) = (960, 480);
const STATE: RGBColor = RGBColor(31, 119, 180);
const LAG: RGBColor = RGBColor(214, 39, 40);

/// What went wrong drawing, as text (the backend's errors are not `Send`).
fn drawing<E: std::fmt::Debug>(e: E) -> std::io::Error {
    std::io::Error::other(format!("drawing the picture: {e:?}"))
}

/// A chart on `root` with its caption and label areas (`right` pixels for the right axis).
fn frame<'a, 'b>(
    root: &'a DrawingArea<SVGBackend<'b>, plotters::coord::Shift>,
    title: &str,
    right: u32,
) -> ChartBuilder<'a, 'b, SVGBackend<'b>> {
    let mut builder = ChartBuilder::on(root);
    builder
        .caption(title, ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .right_y_label_area_size(right);
    builder
}

/// A legend entry's mark: a short line in the series' colour and width.
fn key(color: RGBColor, width: u32) -> impl Fn((i32, i32)) -> PathElement<(i32, i32)> {
    move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(width))
}

/// Draws the legend at `position` (a corner away from the data) on a white, framed box.
fn legend<'a, DB: DrawingBackend + 'a, CT: CoordTranslate>(
    chart: &mut ChartContext<'a, DB, CT>,
    position: SeriesLabelPosition,
) -> std::io::Result<()> {
    chart
        .configure_series_labels()
        .position(position)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .draw()
        .map_err(drawing)
}

/// A time axis label: the event time as the timelines show it (a date for wall-clock times).
fn time_label(ms: &i64) -> String {
    EventTime::from_millis(*ms).to_string()
}

/// State size (records, left axis) and watermark lag (minutes, right axis) against the event
/// time the stream had reached (the largest event time read so far, so the lines run forward
/// even when records arrive out of order).
pub fn run_svg(report: &SimReport, title: &str) -> std::io::Result<String> {
    let mut reached = i64::MIN;
    let points: Vec<(i64, usize, i64)> = report
        .samples
        .iter()
        .map(|&(ts, state, lag)| {
            reached = reached.max(ts);
            (reached, state, lag)
        })
        .collect();
    let (t0, t1) = match (points.first(), points.last()) {
        (Some(a), Some(b)) if b.0 > a.0 => (a.0, b.0),
        (Some(a), _) => (a.0, a.0 + 1),
        _ => (0, 1),
    };
    let state_max = points.iter().map(|p| p.1).max().unwrap_or(0).max(1) as f64 * 1.1;
    let lag_max = points.iter().map(|p| p.2).max().unwrap_or(0).max(60_000) as f64 / 60_000.0 * 1.1;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(drawing)?;
        let mut chart = frame(&root, title, 70)
            .build_cartesian_2d(t0..t1, 0.0..state_max)
            .map_err(drawing)?
            .set_secondary_coord(t0..t1, 0.0..lag_max);
        chart
            .configure_mesh()
            .x_labels(6)
            .x_label_formatter(&time_label)
            .x_desc("event time reached (UTC)")
            .y_desc("engine state (records)")
            .y_label_formatter(&|v| format!("{v:.0}"))
            .draw()
            .map_err(drawing)?;
        chart
            .configure_secondary_axes()
            .y_desc("watermark lag (minutes)")
            .y_label_formatter(&|v| format!("{v:.1}"))
            .draw()
            .map_err(drawing)?;
        chart
            .draw_series(LineSeries::new(
                points.iter().map(|p| (p.0, p.1 as f64)),
                STATE.stroke_width(2),
            ))
            .map_err(drawing)?
            .label("engine state (records)")
            .legend(key(STATE, 2));
        chart
            .draw_secondary_series(LineSeries::new(
                points.iter().map(|p| (p.0, p.2 as f64 / 60_000.0)),
                LAG.stroke_width(2),
            ))
            .map_err(drawing)?
            .label("watermark lag (minutes)")
            .legend(key(LAG, 2));
        legend(&mut chart, SeriesLabelPosition::LowerRight)?;
        root.present().map_err(drawing)?;
    }
    Ok(svg)
}

/// One setting of an `advise` sweep: the delay, the share lost against the ideal join, and the
/// state held at the 99th percentile.
pub struct Setting {
    /// The swept value: a watermark delay or a horizon.
    pub value: Duration,
    pub lost_share: f64,
    pub state_p99: usize,
}

/// Loss (percent of the ideal join, left axis) and state p99 (records, right axis) against
/// the swept value (`x_desc` names it: a watermark delay or a horizon), with the budget as a
/// dashed line. The settings are evenly spaced and labelled with their values (a sweep is
/// usually geometric, 30s to 24h).
pub fn advise_svg(settings: &[Setting], budget: f64, title: &str, x_desc: &str) -> std::io::Result<String> {
    let x_max = settings.len().saturating_sub(1).max(1) as f64;
    let at = |i: usize| i as f64;
    let label = |v: &f64| {
        let i = v.round();
        if (v - i).abs() > 0.01 || i < 0.0 {
            return String::new();
        }
        settings.get(i as usize).map_or(String::new(), |s| s.value.to_string())
    };
    let loss_max = settings
        .iter()
        .map(|s| 100.0 * s.lost_share)
        .fold(100.0 * budget, f64::max)
        * 1.1
        + 1e-9;
    let state_max = settings.iter().map(|s| s.state_p99).max().unwrap_or(0).max(1) as f64 * 1.1;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(drawing)?;
        let mut chart = frame(&root, title, 80)
            .build_cartesian_2d(0.0..x_max, 0.0..loss_max)
            .map_err(drawing)?
            .set_secondary_coord(0.0..x_max, 0.0..state_max);
        chart
            .configure_mesh()
            .x_desc(x_desc)
            .y_desc("lost against the ideal join (%)")
            .x_labels(settings.len().min(24))
            .x_label_formatter(&label)
            .y_label_formatter(&|v| format!("{v:.2}"))
            .draw()
            .map_err(drawing)?;
        chart
            .configure_secondary_axes()
            .y_desc("engine state, p99 (records)")
            .y_label_formatter(&|v| format!("{v:.0}"))
            .draw()
            .map_err(drawing)?;
        chart
            .draw_series(LineSeries::new(
                settings.iter().enumerate().map(|(i, s)| (at(i), 100.0 * s.lost_share)),
                LAG.stroke_width(2),
            ))
            .map_err(drawing)?
            .label("lost (%)")
            .legend(key(LAG, 2));
        chart
            .draw_series(
                settings
                    .iter()
                    .enumerate()
                    .map(|(i, s)| Circle::new((at(i), 100.0 * s.lost_share), 3, LAG.filled())),
            )
            .map_err(drawing)?;
        chart
            .draw_series(DashedLineSeries::new(
                [(0.0, 100.0 * budget), (x_max, 100.0 * budget)],
                6,
                4,
                BLACK.stroke_width(1),
            ))
            .map_err(drawing)?
            .label(format!("budget ({:.2}%)", 100.0 * budget))
            .legend(key(BLACK, 1));
        chart
            .draw_secondary_series(LineSeries::new(
                settings.iter().enumerate().map(|(i, s)| (at(i), s.state_p99 as f64)),
                STATE.stroke_width(2),
            ))
            .map_err(drawing)?
            .label("state p99 (records)")
            .legend(key(STATE, 2));
        legend(&mut chart, SeriesLabelPosition::MiddleRight)?;
        root.present().map_err(drawing)?;
    }
    Ok(svg)
}
