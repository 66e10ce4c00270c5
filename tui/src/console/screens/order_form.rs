//! The new-order form (customer, products with live stock, cart, card) and, once placed, the
//! saga's steps as they run.

use bikestore_contracts::sagas::{Outcome, SagaState};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Row, Table, TableState, Wrap};

use super::{error_text, input_line, note, pane, spinner};
use crate::console::app::App;
use crate::console::app::load::Load;
use crate::console::app::order_form::{CardField, FormPane, OrderForm, SagaWatch, Submission};
use crate::console::format::{clock, money, outcome, phase, saga_state, step_name, truncate};
use crate::console::theme::Theme;

/// Draws the form, or the saga once the order is placed.
pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    let form = &app.orders.form;
    match &form.submission {
        Submission::Watching(watch) => render_watch(app, frame, area, watch),
        Submission::Editing | Submission::Submitting => render_form(app, frame, area, form),
    }
}

fn render_form(app: &App, frame: &mut Frame, area: Rect, form: &OrderForm) {
    let theme = app.theme;
    let [title, panes] = Layout::vertical([Constraint::Length(1), Constraint::Min(4)]).areas(area);
    let store = form.store_id.map_or_else(
        || "no store".to_owned(),
        |store_id| app.store_name(store_id),
    );
    let mut spans = vec![
        Span::styled(" New order ", theme.title()),
        Span::raw(format!("· {store} · total ")),
        Span::styled(money(form.total()), theme.title()),
    ];
    if matches!(form.submission, Submission::Submitting) {
        spans.push(Span::styled(
            format!("  {} placing…", spinner(app)),
            theme.warn(),
        ));
    }
    frame.render_widget(Line::from(spans), title);
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(panes);
    // The customer list grows with the terminal, up to a third of it.
    let customer_height = (left.height / 3).clamp(7, 14);
    let [customer, products] =
        Layout::vertical([Constraint::Length(customer_height), Constraint::Min(4)]).areas(left);
    let [cart, payment] =
        Layout::vertical([Constraint::Min(4), Constraint::Length(6)]).areas(right);
    render_customer(app, frame, customer, form);
    render_products(app, frame, products, form);
    render_cart(theme, frame, cart, form);
    render_payment(theme, frame, payment, form);
}

fn render_customer(app: &App, frame: &mut Frame, area: Rect, form: &OrderForm) {
    let theme = app.theme;
    let focused = form.pane == FormPane::Customer;
    let title = match &form.customer {
        Some(customer) => format!(
            "Customer: {} {}",
            customer.fields.first_name, customer.fields.last_name
        ),
        None => "Customer".to_owned(),
    };
    let block = pane(theme, &title, focused);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [query, results] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(inner);
    frame.render_widget(
        input_line(theme, "Find", &form.customers.query, focused, false),
        query,
    );
    let Some(page) = results_or_note(
        app,
        frame,
        results,
        &form.customers.results,
        "Type a name, Enter to search.",
    ) else {
        return;
    };
    if page.customers.is_empty() {
        frame.render_widget(
            Line::styled("No customer matches: Enter adds one.", theme.dim()),
            results,
        );
        return;
    }
    let width = usize::from(results.width.saturating_sub(2));
    let rows = page.customers.iter().map(|customer| {
        Row::new(vec![truncate(
            &format!(
                "{} {} · {}",
                customer.fields.first_name, customer.fields.last_name, customer.fields.email
            ),
            width,
        )])
    });
    let table = Table::new(rows, [Constraint::Min(1)]).row_highlight_style(if focused {
        theme.selected()
    } else {
        theme.text()
    });
    let mut state = TableState::default().with_selected(Some(form.customers.selected));
    frame.render_stateful_widget(table, results, &mut state);
}

fn render_products(app: &App, frame: &mut Frame, area: Rect, form: &OrderForm) {
    let theme = app.theme;
    let focused = form.pane == FormPane::Products;
    let block = pane(theme, "Products · stock here, live", focused);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [query, results] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(inner);
    frame.render_widget(
        input_line(theme, "Find", &form.products.query, focused, false),
        query,
    );
    let hint = "Type part of a name, Enter to search; Enter again adds.";
    let Some(page) = results_or_note(app, frame, results, &form.products.results, hint) else {
        return;
    };
    if page.products.is_empty() {
        frame.render_widget(Line::styled("No product matches.", theme.dim()), results);
        return;
    }
    let name_width = usize::from(results.width.saturating_sub(22)).max(6);
    let rows = page.products.iter().map(|product| {
        let stock = match form.available(product.product_id) {
            Some(available) if available <= 0 => Span::styled("none", theme.error()),
            Some(available) if available <= 5 => {
                Span::styled(format!("{available:>4}"), theme.warn())
            }
            Some(available) => Span::styled(format!("{available:>4}"), theme.good()),
            None if form.stock_loaded => Span::styled("none", theme.error()),
            None => Span::styled("   …", theme.dim()),
        };
        Row::new(vec![
            Span::raw(truncate(&product.name, name_width)),
            Span::raw(format!("{:>11}", money(product.list_price))),
            stock,
        ])
    });
    let table = Table::new(
        rows,
        [
            Constraint::Min(6),
            Constraint::Length(11),
            Constraint::Length(5),
        ],
    )
    .header(Row::new(vec!["Product", "      Price", "Stock"]).style(theme.dim()))
    .row_highlight_style(if focused {
        theme.selected()
    } else {
        theme.text()
    });
    let mut state = TableState::default().with_selected(Some(form.products.selected));
    frame.render_stateful_widget(table, results, &mut state);
}

/// A search's results to list; or, while there are none, `None` after writing in `area` the
/// hint, the spinner or the error instead.
fn results_or_note<'a, T>(
    app: &App,
    frame: &mut Frame,
    area: Rect,
    results: &'a Load<T>,
    hint: &str,
) -> Option<&'a T> {
    let theme = app.theme;
    let line = match results {
        Load::Loading(Some(data)) | Load::Ready(data) => return Some(data),
        Load::Idle => Line::styled(hint.to_owned(), theme.dim()),
        Load::Loading(None) => Line::styled(format!("{} searching…", spinner(app)), theme.dim()),
        Load::Failed(error) => Line::styled(error_text(error), theme.error()),
    };
    frame.render_widget(Paragraph::new(line).wrap(Wrap { trim: true }), area);
    None
}

fn render_cart(theme: Theme, frame: &mut Frame, area: Rect, form: &OrderForm) {
    let focused = form.pane == FormPane::Cart;
    let block = pane(theme, &format!("Cart ({})", form.cart.len()), focused);
    if form.cart.is_empty() {
        let inner = block.inner(area);
        frame.render_widget(block, area);
        frame.render_widget(
            Paragraph::new(Line::styled("Add products from the list.", theme.dim())),
            inner,
        );
        return;
    }
    let name_width = usize::from(area.width.saturating_sub(26)).max(4);
    let rows = form.cart.iter().map(|line| {
        let short = form
            .available(line.product_id)
            .is_some_and(|available| line.quantity > available);
        let quantity_style = if short { theme.error() } else { theme.text() };
        Row::new(vec![
            Span::raw(truncate(&line.name, name_width)),
            Span::styled(format!("{:>3}", line.quantity), quantity_style),
            Span::raw(format!("{:>3}%", line.discount_percent)),
            Span::raw(format!("{:>11}", money(line.total()))),
        ])
    });
    let table = Table::new(
        rows,
        [
            Constraint::Min(4),
            Constraint::Length(3),
            Constraint::Length(4),
            Constraint::Length(11),
        ],
    )
    .header(Row::new(vec!["Item", "Qty", "Off", "      Total"]).style(theme.dim()))
    .row_highlight_style(if focused {
        theme.selected()
    } else {
        theme.text()
    })
    .block(block);
    let mut state = TableState::default().with_selected(Some(form.cart_selected));
    frame.render_stateful_widget(table, area, &mut state);
}

fn render_payment(theme: Theme, frame: &mut Frame, area: Rect, form: &OrderForm) {
    let focused = form.pane == FormPane::Payment;
    let block = pane(theme, "Card", focused);
    let field = |label: &str, which: CardField, masked: bool| {
        let input = match which {
            CardField::Number => &form.card_number,
            CardField::Expiry => &form.card_expiry,
            CardField::Cvc => &form.card_cvc,
            CardField::Holder => &form.card_holder,
        };
        input_line(
            theme,
            label,
            input,
            focused && form.card_field == which,
            masked,
        )
    };
    let lines = vec![
        field("Number", CardField::Number, false),
        field("Expiry MM/YY", CardField::Expiry, false),
        field("CVC", CardField::Cvc, true),
        field("Holder", CardField::Holder, false),
    ];
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

fn render_watch(app: &App, frame: &mut Frame, area: Rect, watch: &SagaWatch) {
    let theme = app.theme;
    let [summary, steps] =
        Layout::vertical([Constraint::Length(5), Constraint::Min(3)]).areas(area);
    let (headline, style) = match watch.state {
        SagaState::Completed => ("Order placed: paid, stock taken.".to_owned(), theme.good()),
        SagaState::Failed => ("Order rejected.".to_owned(), theme.error()),
        SagaState::Stuck => (
            "The order needs a manager: a compensation keeps failing.".to_owned(),
            theme.error(),
        ),
        SagaState::Resolved => ("Ended by hand.".to_owned(), theme.warn()),
        SagaState::Running => (format!("{} placing the order…", spinner(app)), theme.warn()),
        SagaState::Compensating => (
            format!("{} undoing what was done…", spinner(app)),
            theme.warn(),
        ),
    };
    let order = watch.order_id.map_or_else(
        || "order not created yet".to_owned(),
        |id| format!("order #{id}"),
    );
    let mut lines = vec![
        Line::styled(headline, style),
        Line::raw(format!(
            "{order} · saga {} ({})",
            watch.saga_id,
            saga_state(watch.state)
        )),
    ];
    if let Some(reason) = &watch.reason {
        lines.push(Line::from(vec![
            Span::styled("Reason: ", theme.dim()),
            Span::styled(reason.clone(), theme.error()),
        ]));
    }
    frame.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: true }).block(pane(
            theme,
            "Placing the order",
            true,
        )),
        summary,
    );
    render_steps(app, frame, steps, &watch.history);
}

/// A saga's history as a table of steps; shared with the sagas screen.
pub fn render_steps(
    app: &App,
    frame: &mut Frame,
    area: Rect,
    history: &[bikestore_contracts::sagas::HistoryEntry],
) {
    let theme = app.theme;
    let block = pane(theme, &format!("Steps ({})", history.len()), false);
    if history.is_empty() {
        frame.render_widget(block, area);
        note(
            frame,
            area,
            Line::styled(
                format!("{} waiting for the first step…", spinner(app)),
                theme.dim(),
            ),
        );
        return;
    }
    // The fixed columns, their gaps and the borders take 53 cells.
    let error_width = usize::from(area.width.saturating_sub(53)).max(8);
    let rows = history.iter().map(|entry| {
        let (mark, word) = outcome(entry.outcome);
        let style = match entry.outcome {
            Outcome::Succeeded => theme.good(),
            Outcome::Failed => theme.error(),
            Outcome::Retrying => theme.warn(),
            Outcome::Skipped => theme.dim(),
        };
        let error = entry
            .error
            .as_ref()
            .map_or_else(String::new, |error| truncate(&error.message, error_width));
        Row::new(vec![
            Span::styled(format!("{mark} {word}"), style),
            Span::raw(format!("{} {}", phase(entry.phase), step_name(&entry.step))),
            Span::raw(format!("#{}", entry.attempt)),
            Span::styled(clock(entry.finished_at_ms, app.utc_offset), theme.dim()),
            Span::styled(error, theme.error()),
        ])
    });
    let table = Table::new(
        rows,
        [
            Constraint::Length(10),
            Constraint::Length(24),
            Constraint::Length(3),
            Constraint::Length(8),
            Constraint::Min(8),
        ],
    )
    .header(Row::new(vec!["Outcome", "Step", "Try", "At (UTC)", "Error"]).style(theme.dim()))
    .block(block);
    frame.render_widget(table, area);
}
