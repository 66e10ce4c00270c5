//! [`Shop`]: a store with one product in stock and one customer, made through the services'
//! own operations, for end-to-end tests that place orders.

use bikestore_contracts::inventory::{
    CreateBrand, CreateCategory, CreateProduct, CreateStore, ProductFields, ReceiveStock,
};
use bikestore_contracts::orders::{Card, CreateCustomer, CustomerFields};
use bikestore_contracts::sagas::{PlaceOrder, PlaceOrderLine};
use bikestore_contracts::{Cents, CustomerId, ProductId, StaffId, StoreId};
use bikestore_runtime::call::Caller;

/// What every order of a test names.
#[derive(Debug, Clone)]
pub struct Shop {
    /// The store that sells.
    pub store_id: StoreId,
    /// Its one product, priced 100.00.
    pub product_id: ProductId,
    /// The customer who buys.
    pub customer_id: CustomerId,
}

impl Shop {
    /// Creates the store `<name> Bikes`, its brand and category `<name>`, the product
    /// `<name> 29er` with `stock` in the store, and the customer Kim `<name>`.
    pub async fn open(caller: &Caller, name: &str, stock: i64) -> anyhow::Result<Shop> {
        let store_id = caller
            .call(&CreateStore {
                name: format!("{name} Bikes"),
                ..CreateStore::default()
            })
            .await?
            .store_id;
        let brand_id = caller
            .call(&CreateBrand { name: name.into() })
            .await?
            .brand_id;
        let category_id = caller
            .call(&CreateCategory { name: name.into() })
            .await?
            .category_id;
        let product = ProductFields {
            name: format!("{name} 29er"),
            brand_id,
            category_id,
            model_year: 2020,
            list_price: Cents(10_000),
        };
        let product_id = caller.call(&CreateProduct { product }).await?.product_id;
        caller
            .call(&ReceiveStock {
                store_id,
                product_id,
                quantity: stock,
            })
            .await?;
        let customer = CustomerFields {
            first_name: "Kim".into(),
            last_name: name.into(),
            email: format!("kim@{}.example", name.to_lowercase()),
            phone: String::new(),
            street: String::new(),
            city: String::new(),
            state: String::new(),
            zip_code: String::new(),
        };
        let customer_id = caller.call(&CreateCustomer { customer }).await?.customer_id;
        Ok(Shop {
            store_id,
            product_id,
            customer_id,
        })
    }

    /// The customer's order of `quantity` of the shop's product, sold by `staff_id` and paid
    /// with the card `number` (the simulator's test cards, README "Test cards"); `wait_ms` as
    /// the intake takes it.
    pub fn order(
        &self,
        staff_id: StaffId,
        quantity: i64,
        number: &str,
        wait_ms: Option<u64>,
    ) -> PlaceOrder {
        PlaceOrder {
            customer_id: self.customer_id,
            store_id: self.store_id,
            staff_id,
            lines: vec![PlaceOrderLine {
                product_id: self.product_id,
                quantity,
                discount_percent: 0,
                list_price: None,
            }],
            card: Card {
                number: number.into(),
                expiry_month: 12,
                expiry_year: 2031,
                cvc: "123".into(),
                holder: "Kim".into(),
            },
            wait_ms,
        }
    }
}
