//! The catalog: every product (read once; the catalog is small enough for one page), filtered
//! with `/`, and one product with its stock in every store. Managers and admins add and edit
//! products in a form over the list; sales never get the form.

use bikestore_contracts::identity::Role;
use bikestore_contracts::inventory::{
    CreateProduct, Named, Product, ProductDetail, ProductFields, UpdateProduct,
};
use bikestore_contracts::{BrandId, CategoryId, Cents, ErrorCode, ProductId};
use ratatui::crossterm::event::KeyEvent;

use super::load::Load;
use super::text_input::TextInput;
use super::{App, Overlay};
use crate::console::event::{BackendEvent, Command, UiError};
use crate::console::keys::{self, Action, Place};

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
        return match keys::action_for(Place::CatalogDetail, &key) {
            Some(Action::Back) => {
                app.catalog.detail = None;
                Some(Vec::new())
            }
            _ => None,
        };
    }
    let count = visible(app).len();
    let catalog = &mut app.catalog;
    match keys::action_for(Place::Catalog, &key)? {
        Action::Down => catalog.selected = (catalog.selected + 1).min(count.saturating_sub(1)),
        Action::Up => catalog.selected = catalog.selected.saturating_sub(1),
        Action::Open => {
            let selected = catalog.selected;
            let product_id: ProductId = visible(app).get(selected)?.product_id;
            app.catalog.detail = Some(Load::Loading(None));
            return Some(vec![Command::LoadProduct(product_id)]);
        }
        Action::Reload => return Some(reload(app)),
        Action::Add => open_form(app, false),
        Action::Edit => open_form(app, true),
        _ => return None,
    }
    Some(Vec::new())
}

/// The fields of the product form, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProductField {
    /// The product's name, typed.
    Name,
    /// Its brand, chosen with ←→ among the catalog's brands.
    Brand,
    /// Its category, chosen with ←→ among the catalog's categories.
    Category,
    /// The model year, typed.
    ModelYear,
    /// The list price in dollars, typed.
    ListPrice,
}

impl ProductField {
    /// Every field, in the order Tab visits them.
    pub const ALL: [ProductField; 5] = [
        ProductField::Name,
        ProductField::Brand,
        ProductField::Category,
        ProductField::ModelYear,
        ProductField::ListPrice,
    ];

    /// The field's label.
    pub fn label(self) -> &'static str {
        match self {
            ProductField::Name => "Name",
            ProductField::Brand => "Brand",
            ProductField::Category => "Category",
            ProductField::ModelYear => "Model year",
            ProductField::ListPrice => "List price $",
        }
    }

    fn step(self, step: usize) -> ProductField {
        let count = ProductField::ALL.len();
        let position = ProductField::ALL
            .iter()
            .position(|field| *field == self)
            .unwrap_or(0);
        ProductField::ALL
            .get((position + step) % count)
            .copied()
            .unwrap_or(ProductField::Name)
    }
}

/// The form that adds a product or edits one (managers and admins).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductForm {
    /// The product edited, or `None` for a new one.
    pub product_id: Option<ProductId>,
    /// The name.
    pub name: TextInput,
    /// The brands to choose from: the ones the catalog names, by name.
    pub brands: Vec<Named<BrandId>>,
    /// The chosen brand, an index into `brands`.
    pub brand: usize,
    /// The categories to choose from, by name.
    pub categories: Vec<Named<CategoryId>>,
    /// The chosen category, an index into `categories`.
    pub category: usize,
    /// The model year.
    pub model_year: TextInput,
    /// The list price in dollars (`1299.99`).
    pub list_price: TextInput,
    /// The focused field.
    pub field: ProductField,
}

/// Whether `role` may add and edit products; the gateway's table decides the same.
pub fn edits(role: Option<Role>) -> bool {
    matches!(role, Some(Role::Manager | Role::Admin))
}

/// Opens the product form: empty for a new product, or filled from the highlighted one.
fn open_form(app: &mut App, edit: bool) {
    if !edits(app.role()) {
        app.fail(UiError::new(
            ErrorCode::Forbidden,
            "only managers and admins edit the catalog",
        ));
        return;
    }
    let products = app.catalog.list.data().cloned().unwrap_or_default();
    // The contracts name brands and categories by ID; the catalog already carries every one
    // a product uses, so the form offers those rather than reading two more lists.
    let mut brands: Vec<Named<BrandId>> = products
        .iter()
        .map(|product| product.brand.clone())
        .collect();
    brands.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.0.cmp(&b.id.0)));
    brands.dedup();
    let mut categories: Vec<Named<CategoryId>> = products
        .iter()
        .map(|product| product.category.clone())
        .collect();
    categories.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.0.cmp(&b.id.0)));
    categories.dedup();
    let form = if edit {
        let selected = app.catalog.selected;
        let Some(product) = visible(app).get(selected).map(|product| (*product).clone()) else {
            return;
        };
        ProductForm {
            product_id: Some(product.product_id),
            name: TextInput::with_text(&product.name),
            brand: brands
                .iter()
                .position(|brand| brand.id == product.brand.id)
                .unwrap_or(0),
            category: categories
                .iter()
                .position(|category| category.id == product.category.id)
                .unwrap_or(0),
            brands,
            categories,
            model_year: TextInput::with_text(&product.model_year.to_string()),
            list_price: TextInput::with_text(&product.list_price.to_string()),
            field: ProductField::Name,
        }
    } else {
        ProductForm {
            product_id: None,
            name: TextInput::default(),
            brands,
            brand: 0,
            categories,
            category: 0,
            model_year: TextInput::default(),
            list_price: TextInput::default(),
            field: ProductField::Name,
        }
    };
    app.overlay = Overlay::Product(form);
}

/// A key in the product form: text edits, Tab and ↑↓ move, ←→ choose brand or category,
/// Enter saves, Esc closes.
pub fn on_form_key(app: &mut App, key: KeyEvent) -> Vec<Command> {
    let Overlay::Product(form) = &mut app.overlay else {
        return Vec::new();
    };
    let action = keys::action_for(Place::ProductForm, &key);
    match action {
        Some(Action::Close) => app.overlay = Overlay::None,
        Some(Action::Submit) => return submit(app),
        Some(Action::NextField) => form.field = form.field.step(1),
        Some(Action::PreviousField) => {
            form.field = form.field.step(ProductField::ALL.len() - 1);
        }
        Some(Action::PreviousChoice | Action::NextChoice)
            if matches!(form.field, ProductField::Brand | ProductField::Category) =>
        {
            let (chosen, count) = match form.field {
                ProductField::Brand => (&mut form.brand, form.brands.len()),
                _ => (&mut form.category, form.categories.len()),
            };
            let step = if action == Some(Action::NextChoice) {
                1
            } else {
                count.saturating_sub(1)
            };
            *chosen = (*chosen + step) % count.max(1);
        }
        _ => {
            match form.field {
                ProductField::Name => form.name.handle(key),
                ProductField::ModelYear => form.model_year.handle(key),
                ProductField::ListPrice => form.list_price.handle(key),
                ProductField::Brand | ProductField::Category => false,
            };
        }
    }
    Vec::new()
}

/// Checks the form and answers the create or update command.
fn submit(app: &mut App) -> Vec<Command> {
    let Overlay::Product(form) = &app.overlay else {
        return Vec::new();
    };
    let product_id = form.product_id;
    let checked = product_fields(form).map(|product| match product_id {
        Some(product_id) => Command::UpdateProduct(UpdateProduct {
            product_id,
            product,
        }),
        None => Command::CreateProduct(CreateProduct { product }),
    });
    app.submit_form(checked)
}

/// The form's fields as the contracts carry them, or what to fix.
fn product_fields(form: &ProductForm) -> Result<ProductFields, &'static str> {
    let name = form.name.text().trim();
    if name.is_empty() {
        return Err("a product needs a name");
    }
    let brand = form.brands.get(form.brand).ok_or("choose a brand")?;
    let category = form
        .categories
        .get(form.category)
        .ok_or("choose a category")?;
    let model_year: i32 = form
        .model_year
        .text()
        .trim()
        .parse()
        .ok()
        .filter(|year| (1900..=2100).contains(year))
        .ok_or("the model year is a year from 1900 to 2100")?;
    let list_price = parse_price(form.list_price.text())
        .ok_or("the list price is dollars and cents, like 1299.99")?;
    Ok(ProductFields {
        name: name.to_owned(),
        brand_id: brand.id,
        category_id: category.id,
        model_year,
        list_price,
    })
}

/// Dollars as typed (`1299`, `1299.9`, `$1,299.99`) in cents; `None` for anything else,
/// a negative amount or more than two decimals.
pub fn parse_price(text: &str) -> Option<Cents> {
    let plain: String = text
        .trim()
        .trim_start_matches('$')
        .chars()
        .filter(|character| *character != ',')
        .collect();
    let (units, fraction) = plain.split_once('.').unwrap_or((plain.as_str(), ""));
    let all_digits = |part: &str| part.chars().all(|character| character.is_ascii_digit());
    if units.is_empty() || fraction.len() > 2 || !all_digits(units) || !all_digits(fraction) {
        return None;
    }
    let units: i64 = units.parse().ok()?;
    let fraction: i64 = format!("{fraction:0<2}").parse().ok()?;
    units.checked_mul(100)?.checked_add(fraction).map(Cents)
}

/// A backend answer the catalog cares about.
pub fn on_backend(app: &mut App, event: &BackendEvent) -> Vec<Command> {
    match event {
        BackendEvent::ProductSaved(saved) => {
            app.inform(format!("product #{} saved", saved.product_id));
            return reload(app);
        }
        BackendEvent::Catalog(products) => app.catalog.list = Load::Ready(products.clone()),
        BackendEvent::Product(detail) if app.catalog.detail.is_some() => {
            app.catalog.detail = Some(Load::Ready(detail.clone()));
        }
        _ => {}
    }
    Vec::new()
}
