//! The customers screen: the list, one customer with their orders, the add-customer form.

use bikestore_contracts::orders::{Customer, OrderPage};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Row, Table, TableState};

use super::{centered, filter_title, form_keys_line, input_line, loaded, note, pane};
use crate::console::app::App;
use crate::console::app::customers::{CustomerForm, FIELDS, visible};
use crate::console::app::load::Load;
use crate::console::format::truncate;

/// Draws the customers screen.
pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    if let Some((customer, orders)) = &app.customers.detail {
        render_detail(app, frame, area, customer, orders);
        return;
    }
    let theme = app.theme;
    let block = pane(theme, &format!("Customers{}", filter_title(app)), true);
    let Some(_) = loaded(app, frame, area, &app.customers.list, "reading customers") else {
        frame.render_widget(block, area);
        return;
    };
    let customers = visible(app);
    if customers.is_empty() {
        frame.render_widget(block, area);
        note(
            frame,
            area,
            Line::styled("No customer matches: a adds one.", theme.dim()),
        );
        return;
    }
    let email_width = usize::from(area.width.saturating_sub(52)).max(8);
    let rows = customers.iter().map(|customer| {
        let fields = &customer.fields;
        Row::new(vec![
            Span::raw(format!("#{}", customer.customer_id)),
            Span::raw(truncate(
                &format!("{} {}", fields.first_name, fields.last_name),
                26,
            )),
            Span::raw(truncate(&fields.email, email_width)),
            Span::styled(truncate(&fields.phone, 14), theme.dim()),
        ])
    });
    let table = Table::new(
        rows,
        [
            Constraint::Length(6),
            Constraint::Length(26),
            Constraint::Min(8),
            Constraint::Length(14),
        ],
    )
    .header(Row::new(vec!["ID", "Name", "E-mail", "Phone"]).style(theme.dim()))
    .row_highlight_style(theme.selected())
    .block(block);
    let mut state = TableState::default().with_selected(Some(app.customers.selected));
    frame.render_stateful_widget(table, area, &mut state);
}

fn render_detail(
    app: &App,
    frame: &mut Frame,
    area: Rect,
    customer: &Customer,
    orders: &Load<OrderPage>,
) {
    let theme = app.theme;
    let fields = &customer.fields;
    let [summary, list] = Layout::vertical([Constraint::Length(5), Constraint::Min(3)]).areas(area);
    let address = [
        &fields.street,
        &fields.city,
        &fields.state,
        &fields.zip_code,
    ]
    .into_iter()
    .filter(|part| !part.is_empty())
    .cloned()
    .collect::<Vec<_>>()
    .join(", ");
    let lines = vec![
        Line::raw(
            [&fields.email, &fields.phone]
                .into_iter()
                .filter(|part| !part.is_empty())
                .cloned()
                .collect::<Vec<_>>()
                .join(" · "),
        ),
        Line::raw(address),
        Line::styled(format!("customer #{}", customer.customer_id), theme.dim()),
    ];
    let title = format!("{} {}", fields.first_name, fields.last_name);
    frame.render_widget(
        Paragraph::new(lines).block(pane(theme, &title, true)),
        summary,
    );
    let block = pane(theme, "Orders, newest first", false);
    let Some(page) = loaded(app, frame, list, orders, "reading their orders") else {
        frame.render_widget(block, list);
        return;
    };
    if page.orders.is_empty() {
        frame.render_widget(block, list);
        note(frame, list, Line::styled("No orders yet.", theme.dim()));
        return;
    }
    let shown: Vec<_> = page.orders.iter().collect();
    let table = super::orders::order_table(app, &shown).block(block);
    frame.render_widget(table, list);
}

/// Draws the add-customer form over the screen.
pub fn render_form(app: &App, frame: &mut Frame, body: Rect, form: &CustomerForm) {
    let theme = app.theme;
    let area = centered(body, 60, FIELDS.len() as u16 + 3);
    frame.render_widget(Clear, area);
    let block = pane(theme, "Add a customer", true);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let mut lines: Vec<Line> = FIELDS
        .iter()
        .zip(&form.inputs)
        .enumerate()
        .map(|(index, (label, input))| input_line(theme, label, input, index == form.field, false))
        .collect();
    lines.push(form_keys_line(theme, "add"));
    frame.render_widget(Paragraph::new(lines), inner);
}
