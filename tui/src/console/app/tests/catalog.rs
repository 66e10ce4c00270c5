//! Tests of the catalog: a product's stock everywhere, adding and editing products.

use super::*;

#[test]
fn the_catalog_opens_a_product_with_its_stock_everywhere() {
    let mut app = demo::app(Role::Sales);
    let commands = press(&mut app, KeyCode::Char('5'));
    assert_eq!(app.tab, Tab::Catalog);
    assert_eq!(commands, vec![Command::LoadCatalog]);
    backend(&mut app, BackendEvent::Catalog(demo::products().products));
    press(&mut app, KeyCode::Char('/'));
    type_text(&mut app, "slash");
    press(&mut app, KeyCode::Enter);
    let commands = press(&mut app, KeyCode::Enter);
    assert_eq!(commands, vec![Command::LoadProduct(ProductId(14))]);
    assert_eq!(app.place(), Place::CatalogDetail);
    backend(&mut app, BackendEvent::Product(demo::product_detail()));
    assert!(matches!(app.catalog.detail, Some(Load::Ready(_))));
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.place(), Place::Catalog);
}

/// A console on the catalog with the demo products, one of them by a second brand.
fn catalog_app(role: Role) -> App {
    let mut app = demo::app(role);
    assert_eq!(palette(&mut app, "catalog"), vec![Command::LoadCatalog]);
    let mut products = demo::products().products;
    if let Some(electra) = products.get_mut(1) {
        electra.brand = bikestore_contracts::inventory::Named {
            id: bikestore_contracts::BrandId(1),
            name: "Electra".to_owned(),
        };
    }
    backend(&mut app, BackendEvent::Catalog(products));
    app
}

#[test]
fn sales_neither_see_nor_open_the_product_form() {
    let mut sales = catalog_app(Role::Sales);
    let offered: Vec<String> = keys::hints_for(Place::Catalog, Some(Role::Sales))
        .map(keys::Hint::keys)
        .collect();
    assert!(
        !offered
            .iter()
            .any(|printed| printed == "a" || printed == "e")
    );
    for letter in ['a', 'e'] {
        assert!(press(&mut sales, KeyCode::Char(letter)).is_empty());
        assert_eq!(sales.overlay, Overlay::None);
        assert!(matches!(
            &sales.status,
            Some(StatusMessage::Error(error)) if error.code == ErrorCode::Forbidden
        ));
    }
    let offered: Vec<String> = keys::hints_for(Place::Catalog, Some(Role::Manager))
        .map(keys::Hint::keys)
        .collect();
    assert!(offered.iter().any(|printed| printed == "a"));
    assert!(offered.iter().any(|printed| printed == "e"));
}

#[test]
fn managers_add_a_product_choosing_brand_and_category_from_the_catalog() {
    let mut app = catalog_app(Role::Manager);
    press(&mut app, KeyCode::Char('a'));
    assert_eq!(app.place(), Place::ProductForm);
    type_text(&mut app, "Trek Marlin 5");
    press(&mut app, KeyCode::Tab);
    // Brands are offered by name: Electra, then Trek.
    press(&mut app, KeyCode::Right);
    press(&mut app, KeyCode::Tab);
    press(&mut app, KeyCode::Tab);
    type_text(&mut app, "2017");
    press(&mut app, KeyCode::Tab);
    type_text(&mut app, "12x");
    assert!(
        press(&mut app, KeyCode::Enter).is_empty(),
        "a bad price is refused"
    );
    assert!(matches!(
        &app.status,
        Some(StatusMessage::Error(error)) if error.code == ErrorCode::Invalid
    ));
    assert_eq!(
        app.place(),
        Place::ProductForm,
        "the form stays open to fix"
    );
    press(&mut app, KeyCode::Backspace);
    type_text(&mut app, "49.99");
    let commands = press(&mut app, KeyCode::Enter);
    let [Command::CreateProduct(create)] = commands.as_slice() else {
        panic!("Enter adds the product, got {commands:?}");
    };
    let fields = &create.product;
    assert_eq!(fields.name, "Trek Marlin 5");
    assert_eq!(fields.brand_id, bikestore_contracts::BrandId(9));
    assert_eq!(fields.category_id, bikestore_contracts::CategoryId(6));
    assert_eq!(fields.model_year, 2017);
    assert_eq!(fields.list_price, bikestore_contracts::Cents(124_999));
    assert_eq!(app.overlay, Overlay::None);

    let commands = backend(
        &mut app,
        BackendEvent::ProductSaved(bikestore_contracts::inventory::ProductSaved {
            product_id: ProductId(99),
        }),
    );
    assert_eq!(commands, vec![Command::LoadCatalog], "the list reads again");
}

#[test]
fn admins_edit_the_highlighted_product_from_its_current_fields() {
    let mut app = catalog_app(Role::Admin);
    press(&mut app, KeyCode::Char('j'));
    press(&mut app, KeyCode::Char('e'));
    let Overlay::Product(form) = &app.overlay else {
        panic!("e opens the form, got {:?}", app.overlay);
    };
    assert_eq!(form.product_id, Some(ProductId(9)));
    assert_eq!(form.list_price.text(), "2999.99");
    // The year must be a year; a cleared one is refused.
    for _ in 0..3 {
        press(&mut app, KeyCode::Tab);
    }
    control(&mut app, 'u');
    assert!(press(&mut app, KeyCode::Enter).is_empty());
    type_text(&mut app, "2018");
    let commands = press(&mut app, KeyCode::Enter);
    let [Command::UpdateProduct(update)] = commands.as_slice() else {
        panic!("Enter saves the product, got {commands:?}");
    };
    assert_eq!(update.product_id, ProductId(9));
    assert_eq!(update.product.name, "Trek Conduit+ - 2016");
    assert_eq!(update.product.brand_id, bikestore_contracts::BrandId(1));
    assert_eq!(update.product.model_year, 2018);
    assert_eq!(
        update.product.list_price,
        bikestore_contracts::Cents(299_999)
    );
}

#[test]
fn prices_are_read_as_dollars_and_cents() {
    use app::catalog::parse_price;
    use bikestore_contracts::Cents;
    assert_eq!(parse_price("1299"), Some(Cents(129_900)));
    assert_eq!(parse_price(" $1,299.9 "), Some(Cents(129_990)));
    assert_eq!(parse_price("0.05"), Some(Cents(5)));
    for refused in ["", "-3", "1.234", "12a", ".5", "1.2.3"] {
        assert_eq!(parse_price(refused), None, "{refused:?}");
    }
}
