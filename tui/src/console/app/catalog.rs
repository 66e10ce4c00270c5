//! The catalog: every product (read once; the catalog is small enough for one page), filtered
//! with `/`, and one product with its stock in every store. Reading only; managers edit the
//! catalog through the command line for now.

use bikestore_contracts::ProductId;
use bikestore_contracts::inventory::{Product, ProductDetail};
use ratatui::crossterm::event::{KeyCode, KeyEvent};

use super::App;
use super::load::Load;
use crate::console::event::{BackendEvent, Command};

/// The catalog's state.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CatalogState {
    /// The products, by name.
    pub list: Load<Vec<Product>>,
    /// The highlighted row.
    pub selected: usize,
    /// The product opened, with its stock per store.
    pub detail: Option<Load<ProductDetail>>,
}

/// Reads the catalog again.
pub fn reload(app: &mut App) -> Vec<Command> {
    app.catalog.list.start();
    vec![Command::LoadCatalog]
}

/// The products shown, after the `/` filter (on name, brand and category).
pub fn visible(app: &App) -> Vec<&Product> {
    app.catalog.list.data().map_or_else(Vec::new, |list| {
        list.iter()
            .filter(|product| {
                let text = format!(
                    "{} {} {}",
                    product.name, product.brand.name, product.category.name
                );
                app.filter.matches(&text)
            })
            .collect()
    })
}

/// A key on the catalog.
pub fn on_key(app: &mut App, key: KeyEvent) -> Option<Vec<Command>> {
    if app.catalog.detail.is_some() {
        return match key.code {
            KeyCode::Esc | KeyCode::Backspace => {
                app.catalog.detail = None;
                Some(Vec::new())
            }
            _ => None,
        };
    }
    let count = visible(app).len();
    let catalog = &mut app.catalog;
    match key.code {
        KeyCode::Down | KeyCode::Char('j') => {
            catalog.selected = (catalog.selected + 1).min(count.saturating_sub(1));
        }
        KeyCode::Up | KeyCode::Char('k') => {
            catalog.selected = catalog.selected.saturating_sub(1);
        }
        KeyCode::Enter => {
            let selected = catalog.selected;
            let product_id: ProductId = visible(app).get(selected)?.product_id;
            app.catalog.detail = Some(Load::Loading(None));
            return Some(vec![Command::LoadProduct(product_id)]);
        }
        KeyCode::Char('g') => return Some(reload(app)),
        _ => return None,
    }
    Some(Vec::new())
}

/// A backend answer the catalog cares about.
pub fn on_backend(app: &mut App, event: &BackendEvent) {
    match event {
        BackendEvent::Catalog(products) => app.catalog.list = Load::Ready(products.clone()),
        BackendEvent::Product(detail) if app.catalog.detail.is_some() => {
            app.catalog.detail = Some(Load::Ready(detail.clone()));
        }
        _ => {}
    }
}
