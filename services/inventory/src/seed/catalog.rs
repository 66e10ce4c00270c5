//! Demo catalog data shaped like the classic "BikeStores" sample database.
//!
//! [`demo_catalog`] builds three stores, nine brands, seven categories, 321 products per
//! scale unit and one stock row for every (store, product) pair. The generator is
//! deterministic: it uses a tiny internal splitmix64 generator with a fixed seed, so the
//! same scale always gives the same data, and a smaller scale is a prefix of a larger one.

use bikestore_contracts::Cents;

/// A physical shop that holds stock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoStore {
    pub name: String,
    pub phone: String,
    pub email: String,
    pub street: String,
    pub city: String,
    pub state: String,
    pub zip_code: String,
    /// The IANA time zone of its town.
    pub time_zone: String,
}

/// A sellable bicycle; the indexes point into [`DemoCatalog::brands`] and [`DemoCatalog::categories`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoProduct {
    pub name: String,
    pub brand_index: usize,
    pub category_index: usize,
    pub model_year: i32,
    pub list_price: Cents,
}

/// How many units of one product one store holds; the indexes point into the catalog's vectors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoStock {
    pub store_index: usize,
    pub product_index: usize,
    pub quantity: i64,
}

/// Everything needed to seed an empty inventory with realistic-looking data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoCatalog {
    pub stores: Vec<DemoStore>,
    pub brands: Vec<String>,
    pub categories: Vec<String>,
    pub products: Vec<DemoProduct>,
    pub stock: Vec<DemoStock>,
}

// Category indexes, in the same order as `CATEGORY_SPECS`, so model lists read naturally.
const CHILDREN: usize = 0;
const COMFORT: usize = 1;
const CRUISERS: usize = 2;
const CYCLOCROSS: usize = 3;
const ELECTRIC: usize = 4;
const MOUNTAIN: usize = 5;
const ROAD: usize = 6;

/// A category with the whole-dollar price band its bikes are drawn from, so children's
/// bikes stay cheap while electric and road bikes can be expensive.
struct CategorySpec {
    name: &'static str,
    lowest_price_dollars: u64,
    highest_price_dollars: u64,
}

#[rustfmt::skip]
const CATEGORY_SPECS: [CategorySpec; 7] = [
    CategorySpec { name: "Children Bicycles", lowest_price_dollars: 90, highest_price_dollars: 490 },
    CategorySpec { name: "Comfort Bicycles", lowest_price_dollars: 300, highest_price_dollars: 1_200 },
    CategorySpec { name: "Cruisers Bicycles", lowest_price_dollars: 250, highest_price_dollars: 1_700 },
    CategorySpec { name: "Cyclocross Bicycles", lowest_price_dollars: 1_100, highest_price_dollars: 4_000 },
    CategorySpec { name: "Electric Bikes", lowest_price_dollars: 2_000, highest_price_dollars: 12_000 },
    CategorySpec { name: "Mountain Bikes", lowest_price_dollars: 400, highest_price_dollars: 6_000 },
    CategorySpec { name: "Road Bikes", lowest_price_dollars: 750, highest_price_dollars: 12_000 },
];

/// A brand with its share of each 321-product batch (the original sample's per-brand
/// counts), its model names paired with the category each model belongs to, and suffixes
/// that turn one model into several distinct products.
struct BrandSpec {
    name: &'static str,
    products_per_batch: usize,
    models: &'static [(&'static str, usize)],
    variants: &'static [&'static str],
}

const PRODUCTS_PER_BATCH: usize = 321;
const FIRST_MODEL_YEAR: i32 = 2016;
const MODEL_YEAR_COUNT: usize = 4;

#[rustfmt::skip]
const BRAND_SPECS: [BrandSpec; 9] = [
    BrandSpec { name: "Electra", products_per_batch: 118, variants: &["", " EQ", " Step-Thru", " Limited"], models: &[
        ("Townie Original 7D", COMFORT), ("Townie Original 21D", COMFORT), ("Townie Balloon 8D", COMFORT),
        ("Townie Commute 27D", COMFORT), ("Cruiser 1", CRUISERS), ("Cruiser 7D", CRUISERS),
        ("Straight 8 3i", CRUISERS), ("Amsterdam Original 3i", CRUISERS), ("Moto 3i", CRUISERS),
        ("Cruiser Lux 1", CRUISERS), ("Daisy 3i", CRUISERS), ("Sprocket 1 16\"", CHILDREN),
        ("Cruiser 1 12\"", CHILDREN), ("Girl's Hawaii 1 16\"", CHILDREN), ("Savannah 3i 20\"", CHILDREN),
        ("Townie Go! 8i", ELECTRIC), ("Townie Commute Go!", ELECTRIC), ("Loft Go! 8i", ELECTRIC)] },
    BrandSpec { name: "Haro", products_per_batch: 10, variants: &[""], models: &[
        ("Shift R3", MOUNTAIN), ("SR 1.1", MOUNTAIN), ("SR 1.3", MOUNTAIN), ("Flightline One ST", MOUNTAIN),
        ("Flightline Two 26 Plus", MOUNTAIN), ("Downtown 16", CHILDREN), ("Shredder 20", CHILDREN),
        ("Shredder Pro 20", CHILDREN)] },
    BrandSpec { name: "Heller", products_per_batch: 3, variants: &[""], models: &[
        ("Shagamaw Frame", MOUNTAIN), ("Bloodhound Trail 29", MOUNTAIN), ("Shagamaw GX1", MOUNTAIN)] },
    BrandSpec { name: "Pure Cycles", products_per_batch: 3, variants: &[""], models: &[
        ("Vine 8-Speed", CRUISERS), ("Western 3-Speed Women's", CRUISERS), ("William 3-Speed", CRUISERS),
        ("Veloce", ROAD), ("Keirin Pro", ROAD)] },
    BrandSpec { name: "Ritchey", products_per_batch: 1, variants: &[""], models: &[
        ("Timberwolf Frameset", MOUNTAIN), ("Road Logic", ROAD), ("Outback", ROAD)] },
    BrandSpec { name: "Strider", products_per_batch: 3, variants: &[""], models: &[
        ("Classic 12 Balance Bike", CHILDREN), ("Sport 16 Balance Bike", CHILDREN),
        ("Strider 20 Sport", CHILDREN)] },
    BrandSpec { name: "Sun Bicycles", products_per_batch: 23, variants: &["", " Women's"], models: &[
        ("Cruz 3", COMFORT), ("Streamway 7", COMFORT), ("Drifter 7", COMFORT), ("Revolutions 24", COMFORT),
        ("Biscayne Tandem 7", CRUISERS), ("Brickell Tandem CB", CRUISERS), ("Spider 3i", CRUISERS),
        ("Atlas X-Type", CRUISERS), ("Lil Kitt'n", CRUISERS), ("Boardwalk 24", CRUISERS),
        ("ElectroLite", ELECTRIC)] },
    BrandSpec { name: "Surly", products_per_batch: 25, variants: &["", " Frameset"], models: &[
        ("Straggler", CYCLOCROSS), ("Straggler 650b", CYCLOCROSS), ("Cross-Check", CYCLOCROSS),
        ("Pack Rat", ROAD), ("Pacer", ROAD), ("Long Haul Trucker", ROAD), ("Karate Monkey 27.5+", MOUNTAIN),
        ("Krampus", MOUNTAIN), ("Ice Cream Truck", MOUNTAIN), ("Wednesday", MOUNTAIN), ("Troll", MOUNTAIN),
        ("ECR 27.5", MOUNTAIN)] },
    BrandSpec { name: "Trek", products_per_batch: 135, variants: &["", " Limited", " Women's", " Project One"], models: &[
        ("820", MOUNTAIN), ("Marlin 5", MOUNTAIN), ("Marlin 7", MOUNTAIN), ("X-Caliber 8", MOUNTAIN),
        ("Roscoe 7", MOUNTAIN), ("Fuel EX 8 29", MOUNTAIN), ("Fuel EX 9.8 27.5 Plus", MOUNTAIN),
        ("Remedy 9.8", MOUNTAIN), ("Stache 5", MOUNTAIN), ("Domane SL 6", ROAD), ("Domane AL 2", ROAD),
        ("Emonda SL 6", ROAD), ("Madone 9.2", ROAD), ("Silque SLR 7", ROAD), ("Crockett 7 Disc", CYCLOCROSS),
        ("Boone 7 Disc", CYCLOCROSS), ("Powerfly 8 FS Plus", ELECTRIC), ("Super Commuter+ 8S", ELECTRIC),
        ("Verve+", ELECTRIC), ("Precaliber 16", CHILDREN), ("Precaliber 20 6-speed", CHILDREN),
        ("Precaliber 24 21-speed", CHILDREN), ("Kickster", CHILDREN), ("Checkpoint ALR 5", CYCLOCROSS)] },
];

/// Fixed seeds: changing either one changes every generated price or stock level.
const PRODUCT_SEED: u64 = 0x0B1C_E570_2E5E_ED01;
const STOCK_SEED: u64 = 0x5700_C4ED_B1C7_C1E5;

/// The splitmix64 generator: tiny, fast and good enough for demo data, and it keeps the
/// crate free of a `rand` dependency whose output could change between versions.
struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix_bits(self.state)
    }

    /// Returns a value in `0..bound`; a zero bound is treated as one so it never divides by zero.
    fn below(&mut self, bound: u64) -> u64 {
        self.next_u64() % bound.max(1)
    }
}

/// The splitmix64 finaliser, also used on its own to hash a (store, product) pair statelessly.
fn mix_bits(value: u64) -> u64 {
    let mut mixed = value;
    mixed = (mixed ^ (mixed >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    mixed = (mixed ^ (mixed >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    mixed ^ (mixed >> 31)
}

fn greatest_common_divisor(mut left: usize, mut right: usize) -> usize {
    while right != 0 {
        (left, right) = (right, left % right);
    }
    left
}

/// Builds the demo catalog; `scale` multiplies the product count (and so the stock rows)
/// while stores, brands and categories stay fixed. Scale 0 is treated as 1.
pub fn demo_catalog(scale: u32) -> DemoCatalog {
    let batch_count = usize::try_from(scale.max(1)).unwrap_or(1);
    let stores = demo_stores();
    let products = demo_products(batch_count);
    let stock = demo_stock(stores.len(), products.len());
    DemoCatalog {
        stores,
        brands: BRAND_SPECS
            .iter()
            .map(|brand| brand.name.to_string())
            .collect(),
        categories: CATEGORY_SPECS
            .iter()
            .map(|category| category.name.to_string())
            .collect(),
        products,
        stock,
    }
}

fn demo_stores() -> Vec<DemoStore> {
    #[rustfmt::skip]
    let rows = [
        ("Santa Cruz Bikes", "(831) 476-4321", "santacruz@bikes.shop", "3700 Portola Drive", "Santa Cruz", "CA", "95060", "America/Los_Angeles"),
        ("Baldwin Bikes", "(516) 379-8888", "baldwin@bikes.shop", "4200 Chestnut Lane", "Baldwin", "NY", "11432", "America/New_York"),
        ("Rowlett Bikes", "(972) 530-5555", "rowlett@bikes.shop", "8000 Fairway Avenue", "Rowlett", "TX", "75088", "America/Chicago"),
    ];
    rows.iter()
        .map(
            |&(name, phone, email, street, city, state, zip_code, time_zone)| DemoStore {
                name: name.to_string(),
                phone: phone.to_string(),
                email: email.to_string(),
                street: street.to_string(),
                city: city.to_string(),
                state: state.to_string(),
                zip_code: zip_code.to_string(),
                time_zone: time_zone.to_string(),
            },
        )
        .collect()
}

/// Generates the products batch by batch, brand by brand, from one sequential random
/// stream, so the products of a smaller scale are exactly the first products of a larger one.
fn demo_products(batch_count: usize) -> Vec<DemoProduct> {
    let mut random = SplitMix64 {
        state: PRODUCT_SEED,
    };
    let mut products = Vec::with_capacity(batch_count * PRODUCTS_PER_BATCH);
    for batch_index in 0..batch_count {
        // Later batches reuse the same model combinations, so a marker keeps names unique.
        let batch_marker = match batch_index {
            0 => String::new(),
            _ => format!(" (Batch {})", batch_index + 1),
        };
        for (brand_index, brand) in BRAND_SPECS.iter().enumerate() {
            // Every (model, variant, year) combination is a distinct name; walking them with a
            // stride coprime to their count visits each at most once yet mixes models and years.
            let combination_count =
                (brand.models.len() * brand.variants.len() * MODEL_YEAR_COUNT).max(1);
            let mut stride = combination_count * 618 / 1000 + 1;
            while greatest_common_divisor(stride, combination_count) != 1 {
                stride += 1;
            }
            let start = usize::try_from(random.below(combination_count as u64)).unwrap_or(0);
            for position in 0..brand.products_per_batch {
                let combination = (start + position * stride) % combination_count;
                let year_offset = combination % MODEL_YEAR_COUNT;
                let (model_name, category_index) =
                    brand.models[(combination / MODEL_YEAR_COUNT) % brand.models.len()];
                let variant = brand.variants
                    [combination / (MODEL_YEAR_COUNT * brand.models.len()) % brand.variants.len()];
                let model_year = FIRST_MODEL_YEAR + i32::try_from(year_offset).unwrap_or(0);
                products.push(DemoProduct {
                    name: format!(
                        "{} {model_name}{variant} - {model_year}{batch_marker}",
                        brand.name
                    ),
                    brand_index,
                    category_index,
                    model_year,
                    list_price: list_price(&mut random, &CATEGORY_SPECS[category_index]),
                });
            }
        }
    }
    products
}

/// Picks a price in the category's band in steps of ten dollars, ending in .99 nine times
/// out of ten and in .49 otherwise, the way shop prices usually look.
fn list_price(random: &mut SplitMix64, category: &CategorySpec) -> Cents {
    let step_count = (category.highest_price_dollars - category.lowest_price_dollars) / 10 + 1;
    let dollars = category.lowest_price_dollars + random.below(step_count) * 10;
    let cents_below_the_dollar = if random.below(10) == 0 && dollars > category.lowest_price_dollars
    {
        51
    } else {
        1
    };
    Cents(i64::try_from(dollars * 100 - cents_below_the_dollar).unwrap_or(i64::MAX))
}

/// Gives every (store, product) pair a quantity from a stateless hash of the pair, so a
/// row's quantity does not depend on how many other rows exist: about 10% are sold out,
/// about 10% are running low (1 to 3) and the rest hold 4 to 30 units.
fn demo_stock(store_count: usize, product_count: usize) -> Vec<DemoStock> {
    let mut stock = Vec::with_capacity(store_count * product_count);
    for store_index in 0..store_count {
        for product_index in 0..product_count {
            let pair_key = ((store_index as u64) << 32) ^ product_index as u64;
            let hashed = mix_bits(STOCK_SEED ^ mix_bits(pair_key));
            let bucket = hashed % 100;
            let spread = hashed / 100;
            let quantity = match bucket {
                0..10 => 0,
                10..20 => 1 + spread % 3,
                _ => 4 + spread % 27,
            };
            stock.push(DemoStock {
                store_index,
                product_index,
                quantity: i64::try_from(quantity).unwrap_or(0),
            });
        }
    }
    stock
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn counts_match_the_sample_database_at_scale_one_and_three() {
        for scale in [1, 3] {
            let catalog = demo_catalog(scale);
            let expected_products = PRODUCTS_PER_BATCH * scale as usize;
            assert_eq!(catalog.stores.len(), 3);
            assert_eq!(catalog.brands.len(), 9);
            assert_eq!(catalog.categories.len(), 7);
            assert_eq!(catalog.products.len(), expected_products);
            assert_eq!(catalog.stock.len(), 3 * expected_products);
        }
    }

    #[test]
    fn brand_specs_are_consistent_with_one_batch() {
        let total: usize = BRAND_SPECS
            .iter()
            .map(|brand| brand.products_per_batch)
            .sum();
        assert_eq!(total, PRODUCTS_PER_BATCH);
        for brand in &BRAND_SPECS {
            let combinations = brand.models.len() * brand.variants.len() * MODEL_YEAR_COUNT;
            assert!(
                brand.products_per_batch <= combinations,
                "{} runs out of names",
                brand.name
            );
            assert!(
                brand
                    .models
                    .iter()
                    .all(|&(_, category)| category < CATEGORY_SPECS.len())
            );
        }
    }

    #[test]
    fn same_scale_gives_the_same_data_and_scale_zero_means_one() {
        assert_eq!(demo_catalog(2), demo_catalog(2));
        assert_eq!(demo_catalog(0), demo_catalog(1));
        let small = demo_catalog(1);
        let large = demo_catalog(3);
        assert_eq!(small.products[..], large.products[..small.products.len()]);
    }

    #[test]
    fn product_names_are_unique_at_scale_four() {
        let catalog = demo_catalog(4);
        let names: HashSet<&str> = catalog
            .products
            .iter()
            .map(|product| product.name.as_str())
            .collect();
        assert_eq!(names.len(), catalog.products.len());
    }

    #[test]
    fn indexes_are_in_range_and_every_brand_has_products() {
        let catalog = demo_catalog(1);
        for product in &catalog.products {
            assert!(product.brand_index < catalog.brands.len());
            assert!(product.category_index < catalog.categories.len());
            assert!(
                product
                    .name
                    .starts_with(&catalog.brands[product.brand_index])
            );
            assert!((2016..=2019).contains(&product.model_year));
        }
        for brand_index in 0..catalog.brands.len() {
            assert!(
                catalog
                    .products
                    .iter()
                    .any(|product| product.brand_index == brand_index)
            );
        }
        for row in &catalog.stock {
            assert!(row.store_index < catalog.stores.len());
            assert!(row.product_index < catalog.products.len());
            assert!((0..=30).contains(&row.quantity));
        }
    }

    #[test]
    fn prices_are_positive_and_within_the_sample_range() {
        for product in demo_catalog(2).products {
            assert!(product.list_price > Cents(0));
            assert!(
                (8_999..=1_199_999).contains(&product.list_price.0),
                "{product:?}"
            );
        }
    }

    #[test]
    fn about_one_stock_row_in_ten_is_sold_out() {
        let catalog = demo_catalog(1);
        let sold_out = catalog.stock.iter().filter(|row| row.quantity == 0).count();
        assert!((catalog.stock.len() / 20..catalog.stock.len() / 5).contains(&sold_out));
    }
}
