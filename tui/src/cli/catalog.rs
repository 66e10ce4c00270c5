//! The catalog: `stores`, `products ls` and `products show`.

use bikestore_client::Session;
use bikestore_contracts::inventory::{GetProduct, ListProducts, ListStores, Product};
use bikestore_contracts::{BrandId, CategoryId, Cents, ProductId};

use crate::cli::PageArgs;
use crate::cli::exit::CliError;
use crate::cli::output::{Printer, Table, View};
use crate::cli::stock::levels_table;

/// `bikestore products ...`.
#[derive(Debug, clap::Subcommand)]
pub enum ProductsCommand {
    /// List products, filtered and paged.
    #[command(visible_alias = "list")]
    Ls {
        /// Only names containing this text.
        #[arg(long)]
        text: Option<String>,
        /// Only this brand.
        #[arg(long)]
        brand: Option<i64>,
        /// Only this category.
        #[arg(long)]
        category: Option<i64>,
        /// Only at or above this list price (as 1299.99).
        #[arg(long, value_parser = parse_money)]
        min_price: Option<Cents>,
        /// Only at or below this list price (as 1299.99).
        #[arg(long, value_parser = parse_money)]
        max_price: Option<Cents>,
        #[command(flatten)]
        page: PageArgs,
    },
    /// One product and its stock in every store.
    Show {
        /// The product's ID.
        product_id: i64,
    },
}

impl ProductsCommand {
    /// Runs the command.
    pub async fn run(self, session: &Session, printer: Printer) -> Result<(), CliError> {
        match self {
            ProductsCommand::Ls {
                text,
                brand,
                category,
                min_price,
                max_price,
                page,
            } => {
                let reply = session
                    .call(&ListProducts {
                        brand_id: brand.map(BrandId),
                        category_id: category.map(CategoryId),
                        text,
                        min_price,
                        max_price,
                        page: page.page(),
                    })
                    .await?;
                printer.print(&reply, |reply| {
                    View::new()
                        .table(products_table(&reply.products))
                        .line(page.footer(reply.products.len(), reply.total))
                })
            }
            ProductsCommand::Show { product_id } => {
                let reply = session
                    .call(&GetProduct {
                        product_id: ProductId(product_id),
                    })
                    .await?;
                printer.print(&reply, |reply| {
                    let product = &reply.product;
                    View::new()
                        .fields([
                            ("product id", product.product_id.to_string()),
                            ("name", product.name.clone()),
                            (
                                "brand",
                                format!("{} ({})", product.brand.name, product.brand.id),
                            ),
                            (
                                "category",
                                format!("{} ({})", product.category.name, product.category.id),
                            ),
                            ("model year", product.model_year.to_string()),
                            ("list price", product.list_price.to_string()),
                        ])
                        .table(levels_table(&reply.stock))
                })
            }
        }
    }
}

/// `bikestore stores`.
pub async fn stores(session: &Session, printer: Printer) -> Result<(), CliError> {
    let reply = session.call(&ListStores {}).await?;
    printer.print(&reply, |reply| {
        let mut table = Table::new(["ID", "NAME", "CITY", "STATE", "TIME ZONE", "PHONE", "EMAIL"]);
        for store in &reply.stores {
            table.row(vec![
                store.store_id.to_string(),
                store.name.clone(),
                store.city.clone(),
                store.state.clone(),
                store.time_zone.clone(),
                store.phone.clone(),
                store.email.clone(),
            ]);
        }
        View::new().table(table)
    })
}

fn products_table(products: &[Product]) -> Table {
    let mut table = Table::new(["ID", "NAME", "BRAND", "CATEGORY", "YEAR", "PRICE"]);
    for product in products {
        table.row(vec![
            product.product_id.to_string(),
            product.name.clone(),
            product.brand.name.clone(),
            product.category.name.clone(),
            product.model_year.to_string(),
            product.list_price.to_string(),
        ]);
    }
    table
}

/// Parses an amount of money as written by people (`1299`, `1299.9`, `1299.99`) into cents,
/// without going through a float.
pub fn parse_money(text: &str) -> Result<Cents, String> {
    let invalid = || format!("{text:?} is not an amount like 1299.99");
    let (whole, fraction) = text.trim().split_once('.').unwrap_or((text.trim(), ""));
    if whole.is_empty() || !whole.bytes().all(|byte| byte.is_ascii_digit()) {
        return Err(invalid());
    }
    if fraction.len() > 2 || !fraction.bytes().all(|byte| byte.is_ascii_digit()) {
        return Err(invalid());
    }
    let whole: i64 = whole.parse().map_err(|_| invalid())?;
    let cents: i64 = format!("{fraction:0<2}").parse().map_err(|_| invalid())?;
    whole
        .checked_mul(100)
        .and_then(|amount| amount.checked_add(cents))
        .map(Cents)
        .ok_or_else(invalid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_parses_without_floats() {
        assert_eq!(parse_money("1299.99"), Ok(Cents(129_999)));
        assert_eq!(parse_money("1299.9"), Ok(Cents(129_990)));
        assert_eq!(parse_money("15"), Ok(Cents(1_500)));
        for bad in [
            "",
            "-5",
            "1.999",
            "1,50",
            "abc",
            ".5",
            "99999999999999999999",
        ] {
            assert!(parse_money(bad).is_err(), "{bad} parsed");
        }
    }
}
