//! The orders: a day of them placed as fast as the system takes them, and a light load of a few
//! sellers that keeps placing while the backup is taken. Each goes straight to the
//! orchestrator's intake and waits for its saga to end; every tenth card declines, so some
//! sagas compensate.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use bikestore_contracts::inventory::{
    ListProducts, ListStores, MAX_PAGE_LIMIT, Page, ReceiveStock,
};
use bikestore_contracts::orders::{Card, SearchCustomers};
use bikestore_contracts::sagas::{PlaceOrder, PlaceOrderLine, SagaState};
use bikestore_contracts::{CustomerId, OrderId, ProductId, StaffId, StoreId};
use bikestore_runtime::call::{CallOptions, Caller};
use futures::StreamExt;

/// How many (store, product) pairs the orders spread over.
const WORKING_SET: usize = 256;
/// Units added to each pair of the working set, so a day never runs the shelves dry.
const TOP_UP: i64 = 1_000_000;
/// How long the intake waits for a saga to end before answering.
const WAIT: Duration = Duration::from_secs(60);
/// How often the progress line is printed.
const PROGRESS_EVERY: Duration = Duration::from_secs(5);

/// What orders draw from: the seeded customers and a stocked working set of shelves.
#[derive(Clone)]
pub struct Shop {
    caller: Caller,
    customers: u64,
    shelves: Arc<Vec<(StoreId, ProductId)>>,
    /// Makes idempotency keys unique to this run.
    run: String,
    /// A card expiry year safely in the future: next calendar year.
    expiry_year: u16,
}

/// How the orders of a phase ended, as the intake answered.
#[derive(Debug, Default, Clone, Copy)]
pub struct Outcomes {
    pub completed: u64,
    pub failed: u64,
    /// Answered before the saga ended, or not answered at all.
    pub other: u64,
}

impl Shop {
    /// Reads the seeded customers and catalog and tops up the working set's stock.
    pub async fn open(caller: &Caller) -> anyhow::Result<Shop> {
        let customers = caller.call(&SearchCustomers::default()).await?.total;
        let stores = caller.call(&ListStores {}).await?.stores;
        let products = caller
            .call(&ListProducts {
                page: Page {
                    offset: 0,
                    limit: MAX_PAGE_LIMIT,
                },
                ..ListProducts::default()
            })
            .await?
            .products;
        anyhow::ensure!(
            customers > 0 && !stores.is_empty() && !products.is_empty(),
            "the demo data was not seeded"
        );
        let shelves: Vec<(StoreId, ProductId)> = products
            .iter()
            .flat_map(|product| {
                stores
                    .iter()
                    .map(|store| (store.store_id, product.product_id))
            })
            .take(WORKING_SET)
            .collect();
        let receipts = futures::stream::iter(shelves.iter().copied())
            .map(|(store_id, product_id)| async move {
                caller
                    .call(&ReceiveStock {
                        store_id,
                        product_id,
                        quantity: TOP_UP,
                    })
                    .await
            })
            .buffer_unordered(32)
            .collect::<Vec<_>>()
            .await;
        for receipt in receipts {
            receipt.context("top up the stock")?;
        }
        Ok(Shop {
            caller: caller.clone(),
            customers,
            shelves: Arc::new(shelves),
            run: ulid::Ulid::new().to_string(),
            expiry_year: next_year()?,
        })
    }

    /// Places order `index` of phase `phase` and waits for its saga: its end state and, when it
    /// completed, its order.
    pub async fn place(&self, phase: &str, index: u64) -> Option<(SagaState, Option<OrderId>)> {
        let mixed = bikestore_runtime::now_ms() as u64 ^ index.wrapping_mul(0x9E37_79B9);
        let (store_id, product_id) = self.shelves[(index as usize) % self.shelves.len()];
        let request = PlaceOrder {
            customer_id: CustomerId(1 + (mixed % self.customers) as i64),
            store_id,
            staff_id: StaffId(1),
            lines: vec![PlaceOrderLine {
                product_id,
                quantity: 1,
                discount_percent: 0,
                list_price: None,
            }],
            card: Card {
                number: if index % 10 == 9 {
                    "4000 0000 0000 0002".into()
                } else {
                    "4242 4242 4242 4242".into()
                },
                expiry_month: 12,
                expiry_year: self.expiry_year,
                cvc: "123".into(),
                holder: "Bench Customer".into(),
            },
            wait_ms: Some(WAIT.as_millis() as u64),
        };
        let options = CallOptions {
            timeout: Some(WAIT + Duration::from_secs(10)),
            ..CallOptions::idempotent(format!("{}-{phase}-{index}", self.run))
        };
        let started = self.caller.call_with(&request, &options).await.ok()?;
        Some((started.state, started.order_id))
    }

    /// Places `count` orders, `concurrency` at a time, printing a progress line every few
    /// seconds.
    pub async fn place_many(&self, count: u64, concurrency: usize) -> Outcomes {
        let done = Arc::new(AtomicU64::new(0));
        let started = Instant::now();
        let progress = {
            let done = Arc::clone(&done);
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(PROGRESS_EVERY).await;
                    let placed = done.load(Ordering::Relaxed);
                    let seconds = started.elapsed().as_secs_f64();
                    eprintln!(
                        "  placed {placed}/{count} orders in {seconds:.0} s ({:.0}/s)",
                        placed as f64 / seconds
                    );
                }
            })
        };
        let answers = futures::stream::iter(0..count)
            .map(|index| {
                let done = Arc::clone(&done);
                async move {
                    let answer = self.place("day", index).await;
                    done.fetch_add(1, Ordering::Relaxed);
                    answer
                }
            })
            .buffer_unordered(concurrency)
            .collect::<Vec<_>>()
            .await;
        progress.abort();
        let mut outcomes = Outcomes::default();
        for answer in answers {
            match answer.map(|(state, _)| state) {
                Some(SagaState::Completed) => outcomes.completed += 1,
                Some(SagaState::Failed) => outcomes.failed += 1,
                _ => outcomes.other += 1,
            }
        }
        outcomes
    }
}

/// A few sellers placing orders one after another until stopped.
pub struct Sellers {
    stop: Arc<AtomicBool>,
    tasks: tokio::task::JoinSet<Vec<(Instant, OrderId)>>,
}

impl Sellers {
    /// Starts `count` sellers.
    pub fn start(shop: &Shop, count: usize) -> Sellers {
        let stop = Arc::new(AtomicBool::new(false));
        let mut tasks = tokio::task::JoinSet::new();
        for seller in 0..count {
            let (shop, stop) = (shop.clone(), Arc::clone(&stop));
            tasks.spawn(async move {
                let mut acknowledged = Vec::new();
                let mut number = 0;
                while !stop.load(Ordering::Relaxed) {
                    number += 1;
                    let phase = format!("seller-{seller}");
                    if let Some((SagaState::Completed, Some(order_id))) =
                        shop.place(&phase, number).await
                    {
                        acknowledged.push((Instant::now(), order_id));
                    }
                }
                acknowledged
            });
        }
        Sellers { stop, tasks }
    }

    /// Stops the sellers and returns each order they saw completed, with when.
    pub async fn stop(mut self) -> anyhow::Result<Vec<(Instant, OrderId)>> {
        self.stop.store(true, Ordering::Relaxed);
        let mut acknowledged = Vec::new();
        while let Some(seller) = self.tasks.join_next().await {
            acknowledged.extend(seller?);
        }
        Ok(acknowledged)
    }
}

/// Next calendar year.
fn next_year() -> anyhow::Result<u16> {
    let now = bikestore_runtime::now_ms();
    let year = bikestore_contracts::calendar::CalendarTime::utc(now).year;
    Ok(u16::try_from(year + 1)?)
}
