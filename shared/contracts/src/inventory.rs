//! Requests, replies and events of the inventory service: catalog, stock and reservations.

use serde::{Deserialize, Serialize};

use crate::ids::{BrandId, CategoryId, Cents, ProductId, ReservationId, StoreId};
use crate::message;

/// The longest name, in characters, that the catalog accepts.
pub const MAX_NAME_CHARS: usize = 200;
/// The most lines one reservation may hold.
pub const MAX_RESERVATION_LINES: usize = 100;
/// The largest page a list query returns.
pub const MAX_PAGE_LIMIT: u32 = 500;

/// Which slice of a list to return.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Page {
    /// How many items to skip.
    #[serde(default)]
    pub offset: u32,
    /// How many items to return, at most [`MAX_PAGE_LIMIT`].
    #[serde(default = "Page::default_limit")]
    pub limit: u32,
}

impl Page {
    fn default_limit() -> u32 {
        50
    }
}

impl Default for Page {
    fn default() -> Self {
        Page {
            offset: 0,
            limit: Page::default_limit(),
        }
    }
}

// ---------------------------------------------------------------- stores, brands, categories

/// Opens a new store. `Default` leaves every field empty, for callers that name only a few.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct CreateStore {
    /// The store's name, unique in the chain.
    pub name: String,
    /// Phone number as printed.
    #[serde(default)]
    pub phone: String,
    /// Contact e-mail.
    #[serde(default)]
    pub email: String,
    /// Street address.
    #[serde(default)]
    pub street: String,
    /// City.
    #[serde(default)]
    pub city: String,
    /// State or region.
    #[serde(default)]
    pub state: String,
    /// Postal code.
    #[serde(default)]
    pub zip_code: String,
    /// The IANA time zone its clocks keep (`America/Los_Angeles`), which sets its day for
    /// "today"; empty means `UTC`.
    #[serde(default)]
    pub time_zone: String,
}

/// The store that was created.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreCreated {
    /// Its new ID.
    pub store_id: StoreId,
}

/// Lists every store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ListStores {}

/// One store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Store {
    /// Its ID.
    pub store_id: StoreId,
    /// Its name.
    pub name: String,
    /// Phone number.
    pub phone: String,
    /// Contact e-mail.
    pub email: String,
    /// Street address.
    pub street: String,
    /// City.
    pub city: String,
    /// State or region.
    pub state: String,
    /// Postal code.
    pub zip_code: String,
    /// The IANA time zone its clocks keep (`America/Los_Angeles`, `UTC`).
    pub time_zone: String,
}

/// Every store of the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreList {
    /// The stores, by ID.
    pub stores: Vec<Store>,
}

/// Adds a brand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateBrand {
    /// The brand's name, unique.
    pub name: String,
}

/// Renames a brand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateBrand {
    /// The brand to rename.
    pub brand_id: BrandId,
    /// Its new name.
    pub name: String,
}

/// Removes a brand that no product uses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeleteBrand {
    /// The brand to remove.
    pub brand_id: BrandId,
}

/// The brand a command created or changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BrandSaved {
    /// Its ID.
    pub brand_id: BrandId,
}

/// Adds a category.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateCategory {
    /// The category's name, unique.
    pub name: String,
}

/// Renames a category.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateCategory {
    /// The category to rename.
    pub category_id: CategoryId,
    /// Its new name.
    pub name: String,
}

/// Removes a category that no product uses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeleteCategory {
    /// The category to remove.
    pub category_id: CategoryId,
}

/// The category a command created or changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CategorySaved {
    /// Its ID.
    pub category_id: CategoryId,
}

/// A command that changed or removed something and has nothing else to say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Done {}

/// A brand or category: an ID and a name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Named<Id> {
    /// Its ID.
    pub id: Id,
    /// Its name.
    pub name: String,
}

/// Lists every brand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ListBrands {}

/// Every brand, by name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BrandList {
    /// The brands.
    pub brands: Vec<Named<BrandId>>,
}

/// Lists every category.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ListCategories {}

/// Every category, by name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CategoryList {
    /// The categories.
    pub categories: Vec<Named<CategoryId>>,
}

// ---------------------------------------------------------------- products

/// The editable fields of a product.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProductFields {
    /// The product's name.
    pub name: String,
    /// Its brand.
    pub brand_id: BrandId,
    /// Its category.
    pub category_id: CategoryId,
    /// The model year, 1900 to 2100.
    pub model_year: i32,
    /// The list price in cents, zero or more.
    pub list_price: Cents,
}

/// Adds a product to the catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateProduct {
    /// Its fields.
    pub product: ProductFields,
}

/// Replaces a product's fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateProduct {
    /// The product to change.
    pub product_id: ProductId,
    /// Its new fields.
    pub product: ProductFields,
}

/// Removes a product that no store holds stock of and no reservation names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeleteProduct {
    /// The product to remove.
    pub product_id: ProductId,
}

/// The product a command created or changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProductSaved {
    /// Its ID.
    pub product_id: ProductId,
}

/// A product as lists show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Product {
    /// Its ID.
    pub product_id: ProductId,
    /// Its name.
    pub name: String,
    /// Its brand.
    pub brand: Named<BrandId>,
    /// Its category.
    pub category: Named<CategoryId>,
    /// The model year.
    pub model_year: i32,
    /// The list price in cents.
    pub list_price: Cents,
}

/// Searches the catalog. Every filter is optional; all given filters must match.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ListProducts {
    /// Only this brand.
    #[serde(default)]
    pub brand_id: Option<BrandId>,
    /// Only this category.
    #[serde(default)]
    pub category_id: Option<CategoryId>,
    /// Only names containing this text, case-insensitively.
    #[serde(default)]
    pub text: Option<String>,
    /// Only list prices at or above this.
    #[serde(default)]
    pub min_price: Option<Cents>,
    /// Only list prices at or below this.
    #[serde(default)]
    pub max_price: Option<Cents>,
    /// Which page.
    #[serde(default)]
    pub page: Page,
}

/// One page of products.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProductPage {
    /// The products on this page, by name then ID.
    pub products: Vec<Product>,
    /// How many products match in all.
    pub total: u64,
}

/// Reads one product with its stock in every store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GetProduct {
    /// The product.
    pub product_id: ProductId,
}

/// Stock of one product in one store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StockLevel {
    /// The store.
    pub store_id: StoreId,
    /// The product.
    pub product_id: ProductId,
    /// The product's name, for display.
    pub product_name: String,
    /// Units in the store.
    pub on_hand: i64,
    /// Units held by open reservations.
    pub reserved: i64,
    /// Units that can still be reserved: on hand less reserved.
    pub available: i64,
}

/// A product with its stock in every store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProductDetail {
    /// The product.
    pub product: Product,
    /// Its stock, one entry per store, by store ID.
    pub stock: Vec<StockLevel>,
}

/// Prices products from the catalog, for a sale: the place-order saga's one pricing request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriceProducts {
    /// The products, each at most once; an unknown one is `not_found`.
    pub product_ids: Vec<ProductId>,
}

/// A product's catalog price and name, as a receipt shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProductPrice {
    /// The product.
    pub product_id: ProductId,
    /// Its name.
    pub name: String,
    /// Its unit list price in cents.
    pub list_price: Cents,
}

/// The catalog prices of the products asked for, in the order asked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProductPrices {
    /// One entry per product asked for.
    pub prices: Vec<ProductPrice>,
}

// ---------------------------------------------------------------- stock

/// Books goods that arrived at a store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReceiveStock {
    /// The store receiving.
    pub store_id: StoreId,
    /// The product received.
    pub product_id: ProductId,
    /// How many units, at least one.
    pub quantity: i64,
}

/// Corrects a store's stock by a signed amount, with a reason (a count, damage, theft).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdjustStock {
    /// The store.
    pub store_id: StoreId,
    /// The product.
    pub product_id: ProductId,
    /// Units to add (positive) or remove (negative); never zero.
    pub delta: i64,
    /// Why, for the record.
    pub reason: String,
}

/// The stock after a change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StockUpdated {
    /// The new level.
    pub level: StockLevel,
}

/// One line of a reservation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReservationLine {
    /// The product.
    pub product_id: ProductId,
    /// How many units, at least one.
    pub quantity: i64,
}

/// Holds stock for an order or a transfer: every line or none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReserveStock {
    /// The caller's name for the reservation (an order or transfer ID).
    pub reservation_id: ReservationId,
    /// The store whose stock is held.
    pub store_id: StoreId,
    /// What to hold; a product appears at most once.
    pub lines: Vec<ReservationLine>,
}

/// The state of a reservation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReservationStatus {
    /// Holding stock, waiting to be committed or released.
    Held,
    /// The stock left the store.
    Committed,
    /// The stock was given back.
    Released,
    /// Nobody committed or released it in time; the stock was given back.
    Expired,
    /// It was committed, then its stock was put back (an order undone or cancelled).
    Returned,
}

/// A reservation and its state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reservation {
    /// Its ID.
    pub reservation_id: ReservationId,
    /// The store.
    pub store_id: StoreId,
    /// The lines.
    pub lines: Vec<ReservationLine>,
    /// Its state.
    pub status: ReservationStatus,
    /// When a held reservation expires, in milliseconds since the Unix epoch.
    pub expires_at_ms: i64,
}

/// Takes the reserved stock out of the store for good.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommitReservation {
    /// The reservation.
    pub reservation_id: ReservationId,
}

/// Gives the reserved stock back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReleaseReservation {
    /// The reservation.
    pub reservation_id: ReservationId,
}

/// Puts a reservation's stock back whatever its state: a held one is released, a committed
/// one has its units returned to the store. Used to undo or cancel an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReturnReservation {
    /// The reservation.
    pub reservation_id: ReservationId,
}

/// What `return_reservation` found and did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReservationReturned {
    /// The reservation after the return; `None` if there never was one (nothing to return).
    pub reservation: Option<Reservation>,
}

/// Reads a store's stock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreStock {
    /// The store.
    pub store_id: StoreId,
    /// Which page.
    #[serde(default)]
    pub page: Page,
}

/// One page of stock levels.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StockPage {
    /// The levels on this page.
    pub levels: Vec<StockLevel>,
    /// How many levels there are in all.
    pub total: u64,
}

/// Lists stock at or below a threshold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct LowStock {
    /// Only this store.
    #[serde(default)]
    pub store_id: Option<StoreId>,
    /// Available units at or below this count as low; the service's setting when absent.
    #[serde(default)]
    pub threshold: Option<i64>,
    /// Which page.
    #[serde(default)]
    pub page: Page,
}

// ---------------------------------------------------------------- events

/// Why stock changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StockChangeReason {
    /// Goods arrived.
    Received,
    /// A manual correction.
    Adjusted,
    /// A reservation held units.
    Reserved,
    /// A reservation took units out.
    Committed,
    /// A reservation gave units back.
    Released,
    /// An expired reservation gave units back.
    Expired,
    /// Committed units came back to the store.
    Returned,
}

/// Published whenever a stock level changes, on `<prefix>.evt.inventory.stock_changed.<store>`;
/// the inventory stream republishes it to consoles on `<prefix>.live.<store>.stock_changed`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StockChanged {
    /// The level after the change.
    pub level: StockLevel,
    /// Why it changed.
    pub reason: StockChangeReason,
    /// The reservation involved, if any.
    pub reservation_id: Option<ReservationId>,
}

/// Published when available stock falls to or below the low-stock threshold, on
/// `<prefix>.evt.inventory.stock_low.<store>`; the inventory stream republishes it to consoles on
/// `<prefix>.live.<store>.stock_low`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StockLow {
    /// The level that is low.
    pub level: StockLevel,
    /// The threshold it crossed.
    pub threshold: i64,
}

// Version 2 of `create_store` and `store_list`: the store's time zone at the end, which a
// version 1 postcard body lacks.
message!(command CreateStore => StoreCreated, Inventory."create_store", v 2);
message!(StoreCreated, "store_created", v 1);
message!(query ListStores => StoreList, Inventory."list_stores", v 1);
message!(StoreList, "store_list", v 2);
message!(command CreateBrand => BrandSaved, Inventory."create_brand", v 1);
message!(command UpdateBrand => BrandSaved, Inventory."update_brand", v 1);
message!(command DeleteBrand => Done, Inventory."delete_brand", v 1);
message!(BrandSaved, "brand_saved", v 1);
message!(query ListBrands => BrandList, Inventory."list_brands", v 1);
message!(BrandList, "brand_list", v 1);
message!(command CreateCategory => CategorySaved, Inventory."create_category", v 1);
message!(command UpdateCategory => CategorySaved, Inventory."update_category", v 1);
message!(command DeleteCategory => Done, Inventory."delete_category", v 1);
message!(CategorySaved, "category_saved", v 1);
message!(query ListCategories => CategoryList, Inventory."list_categories", v 1);
message!(CategoryList, "category_list", v 1);
message!(Done, "done", v 1);
message!(command CreateProduct => ProductSaved, Inventory."create_product", v 1);
message!(command UpdateProduct => ProductSaved, Inventory."update_product", v 1);
message!(command DeleteProduct => Done, Inventory."delete_product", v 1);
message!(ProductSaved, "product_saved", v 1);
message!(query ListProducts => ProductPage, Inventory."list_products", v 1);
message!(ProductPage, "product_page", v 1);
message!(query GetProduct => ProductDetail, Inventory."get_product", v 1);
message!(ProductDetail, "product_detail", v 1);
message!(query PriceProducts => ProductPrices, Inventory."price_products", v 1);
message!(ProductPrices, "product_prices", v 1);
message!(command ReceiveStock => StockUpdated, Inventory."receive_stock", v 1);
message!(command AdjustStock => StockUpdated, Inventory."adjust_stock", v 1);
message!(StockUpdated, "stock_updated", v 1);
message!(command ReserveStock => Reservation, Inventory."reserve_stock", v 1);
message!(command CommitReservation => Reservation, Inventory."commit_reservation", v 1);
message!(command ReleaseReservation => Reservation, Inventory."release_reservation", v 1);
message!(command ReturnReservation => ReservationReturned, Inventory."return_reservation", v 1);
message!(ReservationReturned, "reservation_returned", v 1);
message!(Reservation, "reservation", v 1);
message!(query StoreStock => StockPage, Inventory."store_stock", v 1);
message!(query LowStock => StockPage, Inventory."low_stock", v 1);
message!(StockPage, "stock_page", v 1);
message!(event StockChanged, Inventory."stock_changed" per store level.store_id, v 1);
message!(event StockLow, Inventory."stock_low" per store level.store_id, v 1);
