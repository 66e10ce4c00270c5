//! The catalog: products with brand, category, year and price; one product's stock per store;
//! the form that adds or edits a product.

use bikestore_contracts::inventory::ProductDetail;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Row, Table, TableState};

use super::{centered, filter_title, form_keys_line, input_line, loaded, note, pane};
use crate::console::app::App;
use crate::console::app::catalog::{ProductField, ProductForm, visible};
use crate::console::format::{money, truncate};

/// Draws the catalog, or the product opened.
pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    if let Some(detail) = &app.catalog.detail {
        if let Some(detail) = loaded(app, frame, area, detail, "reading the product") {
            render_detail(app, frame, area, detail);
        }
        return;
    }
    let theme = app.theme;
    let count = app
        .catalog
        .list
        .data()
        .map_or(String::new(), |list| format!(" · {} products", list.len()));
    let block = pane(theme, &format!("Catalog{count}{}", filter_title(app)), true);
    let Some(_) = loaded(app, frame, area, &app.catalog.list, "reading the catalog") else {
        frame.render_widget(block, area);
        return;
    };
    let products = visible(app);
    if products.is_empty() {
        frame.render_widget(block, area);
        note(
            frame,
            area,
            Line::styled("No product matches.", theme.dim()),
        );
        return;
    }
    let wide = area.width >= 100;
    let name_width = usize::from(area.width.saturating_sub(if wide { 52 } else { 32 })).max(8);
    let rows = products.iter().map(|product| {
        let mut cells = vec![Span::raw(truncate(&product.name, name_width))];
        cells.push(Span::raw(truncate(&product.brand.name, 14)));
        if wide {
            cells.push(Span::raw(truncate(&product.category.name, 18)));
        }
        cells.push(Span::raw(format!("{:>11}", money(product.list_price))));
        Row::new(cells)
    });
    let mut widths = vec![Constraint::Min(8), Constraint::Length(14)];
    let mut header = vec!["Product", "Brand"];
    if wide {
        widths.push(Constraint::Length(18));
        header.push("Category");
    }
    widths.push(Constraint::Length(11));
    header.push("      Price");
    let table = Table::new(rows, widths)
        .header(Row::new(header).style(theme.dim()))
        .row_highlight_style(theme.selected())
        .block(block);
    let mut state = TableState::default().with_selected(Some(app.catalog.selected));
    frame.render_stateful_widget(table, area, &mut state);
}

fn render_detail(app: &App, frame: &mut Frame, area: Rect, detail: &ProductDetail) {
    let theme = app.theme;
    let product = &detail.product;
    let [summary, stock] =
        Layout::vertical([Constraint::Length(5), Constraint::Min(3)]).areas(area);
    let field = |label: &str, value: String| {
        Line::from(vec![
            Span::styled(format!("{label:<10}"), theme.dim()),
            Span::raw(value),
        ])
    };
    let lines = vec![
        field(
            "Brand",
            format!("{} · {}", product.brand.name, product.category.name),
        ),
        field("Model", product.model_year.to_string()),
        field("Price", money(product.list_price)),
    ];
    frame.render_widget(
        Paragraph::new(lines).block(pane(theme, &product.name, true)),
        summary,
    );
    let rows = detail.stock.iter().map(|level| {
        Row::new(vec![
            app.store_name(level.store_id),
            format!("{:>7}", level.on_hand),
            format!("{:>8}", level.reserved),
            format!("{:>9}", level.available),
        ])
    });
    let table = Table::new(
        rows,
        [
            Constraint::Min(10),
            Constraint::Length(7),
            Constraint::Length(8),
            Constraint::Length(9),
        ],
    )
    .header(Row::new(vec!["Store", "On hand", "Reserved", "Available"]).style(theme.dim()))
    .block(pane(theme, "Stock in every store", false));
    frame.render_widget(table, stock);
}

/// Draws the add- or edit-product form over the screen.
pub fn render_form(app: &App, frame: &mut Frame, body: Rect, form: &ProductForm) {
    let theme = app.theme;
    let area = centered(body, 64, ProductField::ALL.len() as u16 + 3);
    frame.render_widget(Clear, area);
    let title = match form.product_id {
        Some(product_id) => format!("Edit product #{product_id}"),
        None => "Add a product".to_owned(),
    };
    let block = pane(theme, &title, true);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let choice = |label: &str, name: Option<&str>, focused: bool| {
        let label_style = if focused {
            theme.focused()
        } else {
            theme.dim()
        };
        let name = name.unwrap_or("(none in the catalog)").to_owned();
        let value = if focused {
            Span::styled(format!("◀ {name} ▶"), theme.selected())
        } else {
            Span::raw(name)
        };
        Line::from(vec![Span::styled(format!("{label}: "), label_style), value])
    };
    let mut lines: Vec<Line> = ProductField::ALL
        .iter()
        .map(|field| {
            let focused = *field == form.field;
            match field {
                ProductField::Name => input_line(theme, field.label(), &form.name, focused, false),
                ProductField::Brand => choice(
                    field.label(),
                    form.brands.get(form.brand).map(|brand| brand.name.as_str()),
                    focused,
                ),
                ProductField::Category => choice(
                    field.label(),
                    form.categories
                        .get(form.category)
                        .map(|category| category.name.as_str()),
                    focused,
                ),
                ProductField::ModelYear => {
                    input_line(theme, field.label(), &form.model_year, focused, false)
                }
                ProductField::ListPrice => {
                    input_line(theme, field.label(), &form.list_price, focused, false)
                }
            }
        })
        .collect();
    lines.push(form_keys_line(theme, "save"));
    frame.render_widget(Paragraph::new(lines), inner);
}
