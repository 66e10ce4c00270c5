//! The invariants the chaos test reads from the services' own SQLite files, read-only: no
//! query exposes held reservations or every payment of an order, and the files are the truth
//! the services' answers come from.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

/// Opens a service's database read-only, waiting out a writer's lock.
fn open(data: &Path, service: &str) -> anyhow::Result<Connection> {
    let path = data.join(service).join(format!("{service}.db"));
    let connection = Connection::open_with_flags(
        &path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    connection.busy_timeout(Duration::from_secs(5))?;
    Ok(connection)
}

/// For every store and product: stock reserved equals the quantity its held reservations
/// hold, read in one transaction. Returns how many stock levels were checked, or the levels
/// that disagree as (store, product, reserved, held).
pub fn reserved_equals_held(data: &Path) -> anyhow::Result<Result<usize, Vec<[i64; 4]>>> {
    let mut connection = open(data, "inventory")?;
    let transaction = connection.transaction()?;
    let levels = {
        let mut statement = transaction.prepare(
            "SELECT s.store_id, s.product_id, s.reserved,
                    COALESCE((SELECT SUM(l.quantity)
                              FROM reservations r
                              JOIN reservation_lines l USING (reservation_id)
                              WHERE r.status = 'held'
                                AND r.store_id = s.store_id
                                AND l.product_id = s.product_id), 0)
             FROM stocks s",
        )?;
        statement
            .query_map([], |row| {
                Ok([row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?])
            })?
            .collect::<Result<Vec<[i64; 4]>, _>>()?
    };
    // A held line for a level without a stock row would be missed above.
    let orphans: i64 = transaction.query_row(
        "SELECT COUNT(*) FROM reservations r
         JOIN reservation_lines l USING (reservation_id)
         WHERE r.status = 'held'
           AND NOT EXISTS (SELECT 1 FROM stocks s
                           WHERE s.store_id = r.store_id AND s.product_id = l.product_id)",
        [],
        |row| row.get(0),
    )?;
    let mut wrong: Vec<[i64; 4]> = levels
        .iter()
        .filter(|[_, _, reserved, held]| reserved != held)
        .copied()
        .collect();
    if orphans > 0 {
        wrong.push([-1, -1, 0, orphans]);
    }
    Ok(if wrong.is_empty() {
        Ok(levels.len())
    } else {
        Err(wrong)
    })
}

/// The payments still authorized (money held, neither captured nor voided) on a rejected or
/// cancelled order, as (payment, order, order status).
pub fn open_authorizations_on_ended_orders(data: &Path) -> anyhow::Result<Vec<(i64, i64, String)>> {
    let connection = open(data, "orders")?;
    let mut statement = connection.prepare(
        "SELECT p.payment_id, p.order_id, o.status
         FROM payments p JOIN orders o USING (order_id)
         WHERE p.status = 'authorized' AND o.status IN ('rejected', 'cancelled')",
    )?;
    let open = statement
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?
        .collect::<Result<_, _>>()?;
    Ok(open)
}

/// How many payments the orders database holds, and the money they keep (captured less
/// refunded) over every payment of every order of `customer_id`, whether or not a saga
/// recorded the payment (an authorization whose reply was lost is in no saga).
pub fn money_kept(data: &Path, customer_id: i64) -> anyhow::Result<(usize, i64)> {
    let connection = open(data, "orders")?;
    let (payments, kept) = connection.query_row(
        "SELECT COUNT(*), COALESCE(SUM(p.captured - p.refunded), 0)
         FROM payments p JOIN orders o USING (order_id)
         WHERE o.customer_id = ?1",
        [customer_id],
        |row| Ok((row.get::<_, i64>(0)?, row.get::<_, i64>(1)?)),
    )?;
    Ok((payments as usize, kept))
}
