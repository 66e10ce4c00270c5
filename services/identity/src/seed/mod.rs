//! Loading the demo staff into an empty identity database.
//!
//! The demo logins are fixed and documented in the README ("Demo logins"): `admin` with
//! password `admin-demo-1`, and for each of the three demo stores one manager and two sales
//! members, `manager<store>`, `sales<store>a` and `sales<store>b`, each with password
//! `<username>-demo-1`. The names are those of the classic BikeStores sample's staff. A
//! database that already has staff is left alone: seeding is for first start.

use bikestore_contracts::StoreId;
use bikestore_contracts::identity::{Password, Role};
use bikestore_runtime::now_ms;
use bikestore_storage::Database;
use rusqlite::params;

use crate::error::IdentityError;
use crate::password;

/// What a seed run did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SeedOutcome {
    /// The staff were loaded.
    Loaded {
        /// Members written.
        staff: usize,
    },
    /// The database already had staff; nothing was written.
    AlreadySeeded {
        /// How many members it has.
        staff: i64,
    },
}

/// One demo login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoLogin {
    /// Username.
    pub username: String,
    /// Its documented password.
    pub password: Password,
    /// Full name.
    pub name: &'static str,
    /// E-mail.
    pub email: String,
    /// Role.
    pub role: Role,
    /// Store, for managers and sales.
    pub store_id: Option<StoreId>,
}

/// The documented password of a demo username.
pub fn demo_password(username: &str) -> Password {
    Password(format!("{username}-demo-1"))
}

/// Every demo login: the admin, then per store a manager and two sales members.
pub fn demo_logins() -> Vec<DemoLogin> {
    let login = |username: String, name: &'static str, role: Role, store: Option<i64>| {
        let email = format!("{}@bikes.shop", name.to_lowercase().replace(' ', "."));
        DemoLogin {
            password: demo_password(&username),
            username,
            name,
            email,
            role,
            store_id: store.map(StoreId),
        }
    };
    let stores: [(i64, [&'static str; 3]); 3] = [
        (1, ["Fabiola Jackson", "Mireya Copeland", "Genna Serrano"]),
        (2, ["Jannette David", "Marcelene Boyer", "Venita Daniel"]),
        (3, ["Kali Vargas", "Layla Terrell", "Bernardine Houston"]),
    ];
    let mut logins = vec![login("admin".into(), "Virgie Wiggins", Role::Admin, None)];
    for (store, [manager, first_sales, second_sales]) in stores {
        logins.push(login(
            format!("manager{store}"),
            manager,
            Role::Manager,
            Some(store),
        ));
        logins.push(login(
            format!("sales{store}a"),
            first_sales,
            Role::Sales,
            Some(store),
        ));
        logins.push(login(
            format!("sales{store}b"),
            second_sales,
            Role::Sales,
            Some(store),
        ));
    }
    logins
}

/// Loads the demo staff unless the database already has staff.
pub async fn seed(database: &Database) -> Result<SeedOutcome, IdentityError> {
    let logins = demo_logins();
    let hashing = logins.clone();
    let hashes = tokio::task::spawn_blocking(move || {
        hashing
            .iter()
            .map(|login| password::hash_blocking(&login.password))
            .collect::<Result<Vec<_>, _>>()
    })
    .await
    .map_err(|error| IdentityError::Hashing(format!("hashing task failed: {error}")))??;
    let now_ms = now_ms();
    database
        .write(move |connection| {
            let existing: i64 =
                connection.query_row("SELECT COUNT(*) FROM staff", [], |row| row.get(0))?;
            if existing > 0 {
                return Ok(SeedOutcome::AlreadySeeded { staff: existing });
            }
            let mut insert = connection.prepare_cached(
                "INSERT INTO staff (username, name, email, role, store_id, active, password_hash,
                     created_at_ms, updated_at_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, 1, ?6, ?7, ?7)",
            )?;
            for (login, hash) in logins.iter().zip(&hashes) {
                insert.execute(params![
                    login.username,
                    login.name,
                    login.email,
                    login.role.as_str(),
                    login.store_id.map(|store| store.0),
                    hash,
                    now_ms
                ])?;
            }
            Ok(SeedOutcome::Loaded {
                staff: logins.len(),
            })
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_logins_are_valid_accounts() {
        let logins = demo_logins();
        assert_eq!(logins.len(), 10);
        assert_eq!(logins[0].username, "admin");
        assert_eq!(logins[0].password.expose(), "admin-demo-1");
        for login in &logins {
            assert!(crate::domain::username(&login.username).is_ok());
            assert!(crate::domain::new_password("password", &login.password).is_ok());
            assert!(crate::domain::role_and_store(login.role, login.store_id).is_ok());
            assert!(crate::domain::email(&login.email).is_ok());
        }
    }
}
