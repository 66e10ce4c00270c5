//! The System screen (admins): whether anything needs an operator (nodes, stuck or failed
//! sagas, what could not be read), each service instance's request and error counts, and each
//! durable consumer's lag.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Row, Table};

use bikestore_contracts::health::{InstanceHealth, SystemHealthReport};

use super::{loaded, pane};
use crate::console::app::App;

/// The most consumer rows shown before the services get the rest of the screen.
const MOST_CONSUMER_ROWS: usize = 8;
/// How many characters of an instance's ID show.
const ID_TAIL: usize = 8;

/// Draws the System screen.
pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    let Some(report) = loaded(
        app,
        frame,
        area,
        &app.system.report,
        "reading the system's health",
    ) else {
        return;
    };
    let summary_height = 5 + report.problems.len().min(4) as u16;
    let consumer_rows = report
        .streams
        .iter()
        .map(|stream| stream.consumers.len())
        .sum::<usize>()
        .clamp(1, MOST_CONSUMER_ROWS);
    let [summary, services, consumers] = Layout::vertical([
        Constraint::Length(summary_height),
        Constraint::Min(4),
        Constraint::Length(consumer_rows as u16 + 3),
    ])
    .areas(area);
    render_summary(app, frame, summary, report);
    render_services(app, frame, services, report);
    render_consumers(app, frame, consumers, report);
}

fn render_summary(app: &App, frame: &mut Frame, area: Rect, report: &SystemHealthReport) {
    let theme = app.theme;
    let (verdict, style) = if report.is_healthy() {
        ("Healthy", theme.good())
    } else {
        ("Needs attention", theme.error())
    };
    let label = |text: &str| Span::styled(format!("{text:<10}"), theme.dim());
    let count = |text: String, alarm: bool| {
        Span::styled(text, if alarm { theme.error() } else { theme.text() })
    };
    let sagas = match report.sagas {
        Some(sagas) => vec![
            label("Sagas"),
            count(format!("{} running", sagas.running), false),
            Span::raw(" · "),
            count(format!("{} compensating", sagas.compensating), false),
            Span::raw(" · "),
            count(format!("{} stuck", sagas.stuck), sagas.stuck > 0),
            Span::raw(" · "),
            count(format!("{} failed", sagas.failed), sagas.failed > 0),
        ],
        None => vec![label("Sagas"), count("unknown".to_owned(), true)],
    };
    let mut nodes = vec![label("Nodes")];
    for (index, node) in report.nodes.iter().enumerate() {
        if index > 0 {
            nodes.push(Span::raw(" · "));
        }
        match &node.problem {
            None => nodes.push(Span::styled(format!("{} ok", node.name), theme.good())),
            Some(problem) => {
                nodes.push(Span::styled(
                    format!("{}: {problem}", node.name),
                    theme.error(),
                ));
            }
        }
    }
    let mut lines = vec![
        Line::styled(verdict, style),
        Line::from(sagas),
        Line::from(nodes),
    ];
    lines.extend(
        report
            .problems
            .iter()
            .map(|problem| Line::styled(format!("! {problem}"), theme.warn())),
    );
    frame.render_widget(
        Paragraph::new(lines).block(pane(theme, "Health", false)),
        area,
    );
}

/// An instance's requests and errors over every endpoint, and its slowest endpoint that has
/// handled a request.
fn instance_figures(instance: &InstanceHealth) -> (u64, u64, String) {
    let requests = instance
        .endpoints
        .iter()
        .map(|endpoint| endpoint.requests)
        .sum();
    let errors = instance
        .endpoints
        .iter()
        .map(|endpoint| endpoint.errors)
        .sum();
    let slowest = instance
        .endpoints
        .iter()
        .filter(|endpoint| endpoint.requests > 0)
        .max_by_key(|endpoint| endpoint.average_micros)
        .map_or_else(String::new, |endpoint| {
            format!(
                "{} {:.1} ms",
                endpoint.name,
                endpoint.average_micros as f64 / 1_000.0
            )
        });
    (requests, errors, slowest)
}

/// The end of an instance's ID: one process's instances share the start of their IDs
/// (NATS's NUIDs), so the end tells them apart.
fn id_tail(id: &str) -> String {
    let characters: Vec<char> = id.chars().collect();
    match characters.len().checked_sub(ID_TAIL) {
        Some(skip) if skip > 0 => format!("…{}", characters[skip..].iter().collect::<String>()),
        _ => id.to_owned(),
    }
}

fn render_services(app: &App, frame: &mut Frame, area: Rect, report: &SystemHealthReport) {
    let theme = app.theme;
    let instances: usize = report
        .services
        .iter()
        .map(|service| service.instances.len())
        .sum();
    let block = pane(
        theme,
        &format!(
            "Services ({} · {instances} instances)",
            report.services.len()
        ),
        false,
    );
    let rows = report.services.iter().flat_map(|service| {
        service.instances.iter().map(move |instance| {
            let (requests, errors, slowest) = instance_figures(instance);
            let error_style = if errors > 0 {
                theme.error()
            } else {
                theme.text()
            };
            Row::new(vec![
                Span::raw(service.name.clone()),
                Span::styled(id_tail(&instance.id), theme.dim()),
                Span::raw(requests.to_string()),
                Span::styled(errors.to_string(), error_style),
                Span::raw(slowest),
            ])
        })
    });
    let table = Table::new(
        rows,
        [
            Constraint::Length(14),
            Constraint::Length(11),
            Constraint::Length(9),
            Constraint::Length(7),
            Constraint::Min(10),
        ],
    )
    .header(
        Row::new(vec!["Service", "Instance", "Requests", "Errors", "Slowest"]).style(theme.dim()),
    )
    .block(block);
    frame.render_widget(table, area);
}

fn render_consumers(app: &App, frame: &mut Frame, area: Rect, report: &SystemHealthReport) {
    let theme = app.theme;
    let block = pane(theme, "Consumers", false);
    let consumers: Vec<_> = report
        .streams
        .iter()
        .flat_map(|stream| {
            stream
                .consumers
                .iter()
                .map(move |consumer| (stream, consumer))
        })
        .collect();
    if consumers.is_empty() {
        let line = Line::styled("No durable consumer.", theme.dim());
        frame.render_widget(Paragraph::new(line).block(block), area);
        return;
    }
    let rows = consumers.into_iter().map(|(stream, consumer)| {
        let lag_style = if consumer.is_idle() {
            theme.good()
        } else {
            theme.warn()
        };
        Row::new(vec![
            Span::raw(stream.name.clone()),
            Span::raw(consumer.name.clone()),
            Span::styled(consumer.pending.to_string(), lag_style),
            Span::styled(consumer.ack_pending.to_string(), lag_style),
        ])
    });
    let table = Table::new(
        rows,
        [
            Constraint::Length(30),
            Constraint::Min(16),
            Constraint::Length(9),
            Constraint::Length(12),
        ],
    )
    .header(Row::new(vec!["Stream", "Consumer", "Pending", "Ack pending"]).style(theme.dim()))
    .block(block);
    frame.render_widget(table, area);
}
