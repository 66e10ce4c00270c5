//! Demo customers shaped like the classic "BikeStores" sample database.
//!
//! [`demo_customers`] builds 1,445 customers per scale unit, living in the three stores' states
//! (New York, California, Texas). The generator is pure and deterministic: every field is
//! picked from small tables by arithmetic on the customer's index, so the same scale always
//! gives the same customers and a smaller scale is a prefix of a larger one. E-mails are unique:
//! the (first name, last name) pairs are walked with a stride coprime to their count, and each
//! further pass adds a number.

/// Customers per scale unit, as in the sample database.
pub const CUSTOMERS_PER_SCALE: usize = 1_445;

/// One demo customer; every field passes the service's own validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoCustomer {
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub phone: String,
    pub street: String,
    pub city: String,
    pub state: String,
    pub zip_code: String,
}

#[rustfmt::skip]
const FIRST_NAMES: [&str; 40] = [
    "Debra", "Kasha", "Tameka", "Daryl", "Charolette", "Lyndsey", "Latasha", "Jacquline",
    "Genoveva", "Pamelia", "Deshawn", "Robby", "Lashawn", "Jayne", "Emmitt", "Claire",
    "Kimberely", "Ronna", "Heide", "Bernardine", "Cleotilde", "Latosha", "Sheila", "Shena",
    "Matthew", "Lanita", "Mireya", "Kami", "Jake", "Arla", "Hoyt", "Dorine",
    "Edgar", "Tenisha", "Lucio", "Boyd", "Bryce", "Lenore", "Monica", "Arvilla",
];

#[rustfmt::skip]
const LAST_NAMES: [&str; 40] = [
    "Burks", "Todd", "Fisher", "Spence", "Rice", "Stewart", "Hays", "Duncan",
    "Baldwin", "Newman", "Mendoza", "Sykes", "Ortiz", "Silva", "Sanders", "Gilliam",
    "Grimes", "Ingram", "Spears", "Bender", "Jones", "Mercer", "Goodman", "Carter",
    "Wade", "Pennington", "Frazier", "Barrera", "Lopez", "Cross", "Pittman", "Gomez",
    "Le", "Hubbard", "Knox", "Parsons", "Rollins", "Wolfe", "Alvarado", "Coffey",
];

const DOMAINS: [&str; 5] = [
    "yahoo.com",
    "gmail.com",
    "hotmail.com",
    "msn.com",
    "aol.com",
];

#[rustfmt::skip]
const PLACES: [(&str, &str, &str, &str); 12] = [
    ("Orchard Park", "NY", "14127", "716"), ("Campbell", "CA", "95008", "408"),
    ("Redondo Beach", "CA", "90278", "310"), ("Uniondale", "NY", "11553", "516"),
    ("Sacramento", "CA", "95820", "916"), ("Fairport", "NY", "14450", "585"),
    ("Buffalo", "NY", "14215", "716"), ("Houston", "TX", "77016", "713"),
    ("San Angelo", "TX", "76901", "325"), ("Baldwin", "NY", "11510", "516"),
    ("Santa Cruz", "CA", "95060", "831"), ("Rowlett", "TX", "75088", "972"),
];

#[rustfmt::skip]
const STREETS: [&str; 10] = [
    "Chestnut St.", "Acacia Lane", "Bridgeton Dr.", "Prince Dr.", "Glendale Road",
    "Kingston Lane", "Snake Hill Lane", "Rock Maple St.", "Edgewater Ave.", "Valley View Road",
];

/// A stride coprime to 40 x 40 = 1,600, so walking it visits every name pair once per pass.
const PAIR_STRIDE: usize = 1_003;

/// The demo customers at `scale`: 1,445 per unit.
pub fn demo_customers(scale: u32) -> Vec<DemoCustomer> {
    let count = CUSTOMERS_PER_SCALE * scale as usize;
    (0..count).map(demo_customer).collect()
}

fn demo_customer(index: usize) -> DemoCustomer {
    let pairs = FIRST_NAMES.len() * LAST_NAMES.len();
    let pair = (index % pairs) * PAIR_STRIDE % pairs;
    let pass = index / pairs;
    let first_name = FIRST_NAMES[pair % FIRST_NAMES.len()];
    let last_name = LAST_NAMES[pair / FIRST_NAMES.len()];
    let suffix = if pass == 0 {
        String::new()
    } else {
        pass.to_string()
    };
    let domain = DOMAINS[index * 7 % DOMAINS.len()];
    let (city, state, zip_code, area_code) = PLACES[index * 5 % PLACES.len()];
    // About three customers in ten left a phone number, as in the sample.
    let phone = if index * 37 % 10 < 3 {
        format!("({area_code}) 555-{:04}", index * 7_919 % 10_000)
    } else {
        String::new()
    };
    DemoCustomer {
        first_name: first_name.to_owned(),
        last_name: last_name.to_owned(),
        email: format!(
            "{}.{}{suffix}@{domain}",
            first_name.to_lowercase(),
            last_name.to_lowercase()
        ),
        phone,
        street: format!(
            "{} {}",
            10 + index * 613 % 9_890,
            STREETS[index * 3 % STREETS.len()]
        ),
        city: city.to_owned(),
        state: state.to_owned(),
        zip_code: zip_code.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use bikestore_contracts::orders::CustomerFields;

    use super::*;
    use crate::domain;

    #[test]
    fn every_scale_unit_gives_the_sample_count_with_unique_valid_emails() {
        let customers = demo_customers(2);
        assert_eq!(customers.len(), 2 * CUSTOMERS_PER_SCALE);
        let mut keys = HashSet::new();
        for customer in &customers {
            let fields = CustomerFields {
                first_name: customer.first_name.clone(),
                last_name: customer.last_name.clone(),
                email: customer.email.clone(),
                phone: customer.phone.clone(),
                street: customer.street.clone(),
                city: customer.city.clone(),
                state: customer.state.clone(),
                zip_code: customer.zip_code.clone(),
            };
            assert!(domain::customer_fields(&fields).is_ok(), "{customer:?}");
            assert!(
                keys.insert(domain::email_key(&customer.email)),
                "{customer:?}"
            );
        }
    }

    #[test]
    fn the_generator_is_deterministic_and_a_smaller_scale_is_a_prefix() {
        let small = demo_customers(1);
        let large = demo_customers(3);
        assert_eq!(small, demo_customers(1));
        assert_eq!(small[..], large[..small.len()]);
        assert_eq!(small[0].email, "debra.burks@yahoo.com");
    }
}
