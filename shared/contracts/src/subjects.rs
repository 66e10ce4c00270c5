//! Every subject, stream and bucket name, built from one configurable prefix.
//!
//! This is the only module that assembles subject strings; services ask it, never `format!`.

use std::fmt;

/// The default subject prefix.
pub const DEFAULT_PREFIX: &str = "bikestore";

/// The inbox prefix of a console connection whose session key is the NATS user nkey `nkey`
/// (`_INBOX.console.<nkey>`), instead of the default `_INBOX`: the auth callout lets that
/// connection subscribe under it and nowhere else in `_INBOX`, so no console reads another's
/// replies or those services send each other.
pub fn console_inbox_prefix(nkey: &str) -> String {
    format!("_INBOX.console.{nkey}")
}

/// Whose inbox a reply subject is in: the console's nkey for one under
/// [`console_inbox_prefix`], otherwise the inbox's first token (a NATS user's name where users
/// are enforced, the client's own random token elsewhere); `None` for a subject outside
/// `_INBOX`. Only the console's nkey is enforced, by the auth callout.
pub fn inbox_owner(reply: &str) -> Option<&str> {
    let mut tokens = reply.splitn(4, '.');
    if tokens.next() != Some("_INBOX") {
        return None;
    }
    match (tokens.next(), tokens.next()) {
        (Some("console"), Some(nkey)) if !nkey.is_empty() => Some(nkey),
        (Some(token), _) if !token.is_empty() => Some(token),
        _ => None,
    }
}

/// The store token of the live subjects of a saga whose store is not known: no store ID
/// (a number) can be it.
const UNASSIGNED_STORE: &str = "unassigned";

/// How a stream republishes its events about one store to the live tree, as nats-server's
/// stream `RePublish` setting takes it: every message stored on `source` is published again on
/// core NATS to `destination`, whose `{{wildcard(n)}}` is the `n`th wildcard token of `source`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveRepublish {
    /// The subjects republished: `<prefix>.evt.<service>.*.*` (event name, store).
    pub source: String,
    /// Where to: `<prefix>.live.{{wildcard(2)}}.{{wildcard(1)}}` (store, event name).
    pub destination: String,
}

/// The six services. The name is also the NATS micro service name and queue group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ServiceName {
    /// Staff, tokens and signing keys.
    Identity,
    /// The signed front door.
    Gateway,
    /// Catalog and stock.
    Inventory,
    /// Customers, orders and payments.
    Orders,
    /// Rendering and delivering notifications.
    Notifications,
    /// The saga engine.
    Orchestrator,
}

impl ServiceName {
    /// Every service.
    pub const ALL: [ServiceName; 6] = [
        ServiceName::Identity,
        ServiceName::Gateway,
        ServiceName::Inventory,
        ServiceName::Orders,
        ServiceName::Notifications,
        ServiceName::Orchestrator,
    ];

    /// The lower-case name used in subjects, logs and file names.
    pub fn as_str(self) -> &'static str {
        match self {
            ServiceName::Identity => "identity",
            ServiceName::Gateway => "gateway",
            ServiceName::Inventory => "inventory",
            ServiceName::Orders => "orders",
            ServiceName::Notifications => "notifications",
            ServiceName::Orchestrator => "orchestrator",
        }
    }

    /// Parses a lower-case service name, as it appears in subjects.
    pub fn from_name(name: &str) -> Option<ServiceName> {
        ServiceName::ALL
            .into_iter()
            .find(|service| service.as_str() == name)
    }
}

/// The longest operation name a public subject may carry.
pub const MAX_OPERATION_CHARS: usize = 64;

/// The service and operation a public subject `<prefix>.api.<service>.<operation>` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiTarget {
    /// The service that serves it.
    pub service: ServiceName,
    /// The snake_case operation name (`a-z`, `0-9`, `_`).
    pub operation: String,
}

impl fmt::Display for ServiceName {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

/// Why a subject prefix was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidPrefix(pub String);

impl fmt::Display for InvalidPrefix {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            formatter,
            "subject prefix {:?} must be dot-separated tokens of letters, digits, '-' and '_'",
            self.0
        )
    }
}

impl std::error::Error for InvalidPrefix {}

/// Builds subjects and JetStream names under one prefix, so two deployments can share a NATS
/// account without seeing each other.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subjects {
    prefix: String,
}

impl Default for Subjects {
    fn default() -> Self {
        Subjects {
            prefix: DEFAULT_PREFIX.to_owned(),
        }
    }
}

impl Subjects {
    /// Subjects under `prefix` (for example `bikestore` or `shop2.bikestore`).
    pub fn new(prefix: &str) -> Result<Subjects, InvalidPrefix> {
        let valid_token = |token: &str| {
            !token.is_empty()
                && token
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        };
        if prefix.split('.').all(valid_token) {
            Ok(Subjects {
                prefix: prefix.to_owned(),
            })
        } else {
            Err(InvalidPrefix(prefix.to_owned()))
        }
    }

    /// The prefix itself.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The public subject of an operation, served by the gateway: `<prefix>.api.<service>.<op>`.
    pub fn api(&self, service: ServiceName, operation: &str) -> String {
        format!("{}.api.{}.{}", self.prefix, service, operation)
    }

    /// Every public subject, the gateway's one subscription: `<prefix>.api.>`.
    pub fn api_all(&self) -> String {
        format!("{}.api.>", self.prefix)
    }

    /// Reads a public subject back: exactly `<prefix>.api.<service>.<operation>` with a known
    /// service (not the gateway itself) and a snake_case operation of at most
    /// [`MAX_OPERATION_CHARS`]; anything else is `None`. The internal subject to forward to is
    /// then [`Subjects::svc`] of the two.
    pub fn parse_api(&self, subject: &str) -> Option<ApiTarget> {
        let rest = subject.strip_prefix(self.prefix.as_str())?;
        let rest = rest.strip_prefix(".api.")?;
        let (service, operation) = rest.split_once('.')?;
        let service = ServiceName::from_name(service).filter(|s| *s != ServiceName::Gateway)?;
        let operation_ok = !operation.is_empty()
            && operation.len() <= MAX_OPERATION_CHARS
            && operation
                .bytes()
                .all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'_');
        operation_ok.then(|| ApiTarget {
            service,
            operation: operation.to_owned(),
        })
    }

    /// The audit subject of one operation called through the gateway:
    /// `<prefix>.audit.<service>.<operation>`.
    pub fn audit(&self, service: ServiceName, operation: &str) -> String {
        format!("{}.audit.{}.{}", self.prefix, service, operation)
    }

    /// Every audit subject: `<prefix>.audit.>`.
    pub fn audit_all(&self) -> String {
        format!("{}.audit.>", self.prefix)
    }

    /// The JetStream stream keeping the gateway's audit records, e.g. `BIKESTORE_AUDIT`.
    pub fn audit_stream(&self) -> String {
        format!("{}_AUDIT", self.stream_prefix())
    }

    /// The internal subject of an operation: `<prefix>.svc.<service>.<op>`.
    pub fn svc(&self, service: ServiceName, operation: &str) -> String {
        format!("{}.svc.{}.{}", self.prefix, service, operation)
    }

    /// The internal subject of request type `R`.
    pub fn request<R: crate::Request>(&self) -> String {
        self.svc(R::SERVICE, R::OPERATION)
    }

    /// The subject of one event: `<prefix>.evt.<service>.<event>`.
    pub fn event(&self, service: ServiceName, event: &str) -> String {
        format!("{}.evt.{}.{}", self.prefix, service, event)
    }

    /// The subject of event type `E`, for an event of no store; an event about one store
    /// ([`Event::PER_STORE`](crate::Event::PER_STORE)) goes out on [`Subjects::event_of_store`].
    pub fn event_of<E: crate::Event>(&self) -> String {
        debug_assert!(
            !E::PER_STORE,
            "{} names its store: use event_of_store or event_of_any_store",
            E::NAME
        );
        self.event(E::SERVICE, E::EVENT)
    }

    /// The subject of one store's events of type `E`: `<prefix>.evt.<service>.<event>.<store>`.
    pub fn event_of_store<E: crate::Event>(&self, store: crate::StoreId) -> String {
        format!("{}.{}", self.event(E::SERVICE, E::EVENT), store)
    }

    /// Every subject events of type `E` go out on, for a consumer's filter: every store's
    /// (`<prefix>.evt.<service>.<event>.*`) for an event about one store, else its one subject.
    pub fn event_of_any_store<E: crate::Event>(&self) -> String {
        if E::PER_STORE {
            format!("{}.*", self.event(E::SERVICE, E::EVENT))
        } else {
            self.event_of::<E>()
        }
    }

    /// The subject `event` goes out on: with its store when it is about one.
    pub fn event_subject<E: crate::Event>(&self, event: &E) -> String {
        match event.store_id() {
            Some(store) => self.event_of_store::<E>(store),
            None => self.event(E::SERVICE, E::EVENT),
        }
    }

    /// Whether `subject` is one that events of type `E` go out on (of any store).
    pub fn is_event_of<E: crate::Event>(&self, subject: &str) -> bool {
        let event = self.event(E::SERVICE, E::EVENT);
        if !E::PER_STORE {
            return subject == event;
        }
        subject
            .strip_prefix(event.as_str())
            .and_then(|rest| rest.strip_prefix('.'))
            .is_some_and(|store| !store.is_empty() && !store.contains('.'))
    }

    /// The live feed of one store's notifications, for consoles: `<prefix>.live.<store>.notifications`.
    pub fn live_store_notifications(&self, store: crate::StoreId) -> String {
        format!("{}.live.{}.notifications", self.prefix, store)
    }

    /// Every store's live notification feed: `<prefix>.live.*.notifications`.
    pub fn live_notifications(&self) -> String {
        format!("{}.live.*.notifications", self.prefix)
    }

    /// The live feed of events of type `E` (one about a store) for consoles:
    /// `<prefix>.live.<store>.<event>`, or every store's (`<prefix>.live.*.<event>`) when `None`.
    /// The event's stream republishes them there ([`Subjects::live_republish`]); nobody
    /// publishes on it.
    pub fn live_event_of<E: crate::Event>(&self, store: Option<crate::StoreId>) -> String {
        match store {
            Some(store) => format!("{}.live.{}.{}", self.prefix, store, E::EVENT),
            None => format!("{}.live.*.{}", self.prefix, E::EVENT),
        }
    }

    /// How `service`'s event stream republishes its events about one store to consoles, if it
    /// does: every `<prefix>.evt.<service>.<event>.<store>` to `<prefix>.live.<store>.<event>`
    /// ([`Subjects::live_event_of`]), on core NATS, by nats-server itself. Only inventory's:
    /// stock is what every console shows live, and other services' events (orders and payments
    /// name customers) stay off the live tree unless they are added here on purpose.
    pub fn live_republish(&self, service: ServiceName) -> Option<LiveRepublish> {
        (service == ServiceName::Inventory).then(|| LiveRepublish {
            source: self.event(service, "*.*"),
            destination: format!(
                "{}.live.{{{{wildcard(2)}}}}.{{{{wildcard(1)}}}}",
                self.prefix
            ),
        })
    }

    /// One store's live saga progress: `<prefix>.live.<store>.saga_progressed.<saga id>`.
    /// Published on core NATS by the orchestrator; a saga belongs to the store its payload names
    /// (a transfer to the store that gives the stock).
    pub fn live_saga_progress(&self, store: crate::StoreId, saga_id: &str) -> String {
        format!("{}.live.{}.saga_progressed.{}", self.prefix, store, saga_id)
    }

    /// One saga's progress whatever its store: `<prefix>.live.*.saga_progressed.<saga id>`.
    pub fn live_saga_progress_any_store(&self, saga_id: &str) -> String {
        format!("{}.live.*.saga_progressed.{}", self.prefix, saga_id)
    }

    /// The progress of a saga whose store is not known:
    /// `<prefix>.live.unassigned.saga_progressed.<saga id>`, which no store's console follows
    /// (only [`Subjects::live_saga_progress_any_store`] and admins' `<prefix>.live.>` take it).
    /// Only a cancel-order record written before sagas named their store can be one.
    pub fn live_saga_progress_unassigned(&self, saga_id: &str) -> String {
        format!(
            "{}.live.{}.saga_progressed.{}",
            self.prefix, UNASSIGNED_STORE, saga_id
        )
    }

    /// Every saga's progress of one store (`<prefix>.live.<store>.saga_progressed.*`), or of
    /// every store when `None`.
    pub fn live_every_saga_progress(&self, store: Option<crate::StoreId>) -> String {
        match store {
            Some(store) => format!("{}.live.{}.saga_progressed.*", self.prefix, store),
            None => format!("{}.live.*.saga_progressed.*", self.prefix),
        }
    }

    /// Every live feed a console of `store` may follow (`<prefix>.live.<store>.>`), or of every
    /// store when `None` (admins): what the auth callout grants a logged-in console.
    pub fn console_live_feeds(&self, store: Option<crate::StoreId>) -> String {
        match store {
            Some(store) => format!("{}.live.{}.>", self.prefix, store),
            None => format!("{}.live.>", self.prefix),
        }
    }

    /// Every event subject of one service: `<prefix>.evt.<service>.>`.
    pub fn events_of_service(&self, service: ServiceName) -> String {
        format!("{}.evt.{}.>", self.prefix, service)
    }

    /// The name of the endpoint every service adds after all its others: an instance whose
    /// `$SRV.INFO` lists it takes requests on every endpoint (NATS applies one connection's
    /// subscriptions in order), whereas `$SRV.PING` answers from the moment it registers.
    pub const READY_ENDPOINT: &'static str = "ready";

    /// The subject nats-server sends auth callout requests to (in the account of the callout
    /// service; here the one global account).
    pub fn auth_callout() -> &'static str {
        "$SYS.REQ.USER.AUTH"
    }

    /// The NATS micro service discovery subject that every instance of `service` answers.
    pub fn service_ping(service: impl fmt::Display) -> String {
        format!("$SRV.PING.{service}")
    }

    /// The NATS micro service description subject (name, endpoints) every instance of
    /// `service` answers.
    pub fn service_info(service: impl fmt::Display) -> String {
        format!("$SRV.INFO.{service}")
    }

    /// The NATS micro service statistics subject that every instance of `service` answers.
    pub fn service_stats(service: impl fmt::Display) -> String {
        format!("$SRV.STATS.{service}")
    }

    /// The NATS micro service statistics subject that every instance of every service answers.
    pub fn every_service_stats() -> &'static str {
        "$SRV.STATS"
    }

    /// The JetStream API subject of `action` (such as `STREAM.INFO`, `STREAM.PURGE` or
    /// `CONSUMER.CREATE`) on `stream`: what a NATS user's permissions grant or deny.
    pub fn jetstream_api(action: &str, stream: &str) -> String {
        format!("$JS.API.{action}.{stream}")
    }

    /// Every JetStream API subject: `$JS.API.>`.
    pub fn jetstream_api_all() -> &'static str {
        "$JS.API.>"
    }

    /// The subject a key-value put of `key` into `bucket` is published on.
    pub fn key_value(bucket: &str, key: &str) -> String {
        format!("$KV.{bucket}.{key}")
    }

    /// The JetStream stream holding a service's events, e.g. `BIKESTORE_INVENTORY_EVENTS`.
    pub fn event_stream(&self, service: ServiceName) -> String {
        format!(
            "{}_{}_EVENTS",
            self.stream_prefix(),
            service.as_str().to_uppercase()
        )
    }

    /// The stream that keeps the max-deliveries advisories of this deployment's consumers, so
    /// operators can list and replay messages no consumer could handle.
    pub fn dead_letter_stream(&self) -> String {
        format!("{}_DEAD_LETTERS", self.stream_prefix())
    }

    /// The advisory subject the server publishes when a consumer of `stream` gives up on a
    /// message.
    pub fn max_deliveries_advisory(&self, stream: &str) -> String {
        format!("$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.{stream}.*")
    }

    /// The advisory subjects the dead-letter stream captures: one per event stream of this
    /// deployment, so another deployment's advisories never land here.
    pub fn dead_letter_sources(&self) -> Vec<String> {
        ServiceName::ALL
            .into_iter()
            .map(|service| self.max_deliveries_advisory(&self.event_stream(service)))
            .chain(std::iter::once(
                self.max_deliveries_advisory(&self.saga_work_stream()),
            ))
            .collect()
    }

    /// The work-queue stream all orchestrator replicas take saga work from.
    pub fn saga_work_stream(&self) -> String {
        format!("{}_SAGA_WORK", self.stream_prefix())
    }

    /// The subject of one saga's work items: `<prefix>.saga.work.<saga id>`.
    pub fn saga_work(&self, saga_id: &str) -> String {
        format!("{}.saga.work.{}", self.prefix, saga_id)
    }

    /// Every saga work subject.
    pub fn saga_work_all(&self) -> String {
        format!("{}.saga.work.>", self.prefix)
    }

    /// The KV bucket holding saga records.
    pub fn sagas_bucket(&self) -> String {
        if self.prefix == DEFAULT_PREFIX {
            "sagas".to_owned()
        } else {
            format!("{}_sagas", self.stream_prefix().to_lowercase())
        }
    }

    /// A subject of the benchmark's floor measurements: `<prefix>.bench.<part>`.
    pub fn bench(&self, part: &str) -> String {
        format!("{}.bench.{}", self.prefix, part)
    }

    /// The stream the benchmark's floor publishes to, e.g. `BIKESTORE_BENCH`; it captures
    /// [`Subjects::bench_published`].
    pub fn bench_stream(&self) -> String {
        format!("{}_BENCH", self.stream_prefix())
    }

    /// The subject the benchmark's floor publishes to JetStream: `<prefix>.bench.published`.
    pub fn bench_published(&self) -> String {
        self.bench("published")
    }

    /// The KV bucket of the benchmark's floor: `bench`, or `<prefix>_bench` under another prefix.
    pub fn bench_bucket(&self) -> String {
        if self.prefix == DEFAULT_PREFIX {
            "bench".to_owned()
        } else {
            format!("{}_bench", self.stream_prefix().to_lowercase())
        }
    }

    /// The prefix as stream names carry it: upper case, dots and dashes as underscores.
    pub(crate) fn stream_prefix(&self) -> String {
        self.prefix.replace(['.', '-'], "_").to_uppercase()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_follow_the_prefix() {
        let subjects = Subjects::new("shop2.bikestore").expect("valid prefix");
        assert_eq!(
            subjects.svc(ServiceName::Inventory, "reserve_stock"),
            "shop2.bikestore.svc.inventory.reserve_stock"
        );
        assert_eq!(
            subjects.event_stream(ServiceName::Inventory),
            "SHOP2_BIKESTORE_INVENTORY_EVENTS"
        );
        assert_eq!(Subjects::default().sagas_bucket(), "sagas");
    }

    #[test]
    fn public_subjects_parse_back_to_service_and_operation() {
        let subjects = Subjects::new("shop2.bikestore").expect("valid prefix");
        let target = subjects
            .parse_api("shop2.bikestore.api.inventory.list_products")
            .expect("a public subject");
        assert_eq!(target.service, ServiceName::Inventory);
        assert_eq!(target.operation, "list_products");
        assert_eq!(
            subjects.svc(target.service, &target.operation),
            "shop2.bikestore.svc.inventory.list_products"
        );
        assert_eq!(subjects.api_all(), "shop2.bikestore.api.>");
        assert_eq!(subjects.audit_stream(), "SHOP2_BIKESTORE_AUDIT");
        for bad in [
            "shop2.bikestore.api.inventory",
            "shop2.bikestore.api.inventory.list.products",
            "shop2.bikestore.api.nobody.list_products",
            "shop2.bikestore.api.gateway.list_products",
            "shop2.bikestore.api.inventory.List",
            "shop2.bikestore.svc.inventory.list_products",
            "bikestore.api.inventory.list_products",
            "shop2.bikestore.api.inventory.",
        ] {
            assert_eq!(subjects.parse_api(bad), None, "{bad:?} should be refused");
        }
    }

    /// Whether NATS would deliver a message on `subject` to a subscription on `pattern`.
    fn matches(pattern: &str, subject: &str) -> bool {
        let (mut patterns, mut tokens) = (pattern.split('.'), subject.split('.'));
        loop {
            match (patterns.next(), tokens.next()) {
                (Some(">"), Some(_)) => return true,
                (Some("*"), Some(_)) => {}
                (Some(expected), Some(token)) if expected == token => {}
                (None, None) => return true,
                _ => return false,
            }
        }
    }

    /// What nats-server makes of `subject` under a republish setting: the destination with
    /// each `{{wildcard(n)}}` replaced by the `n`th wildcard token of the source.
    fn republished(republish: &LiveRepublish, subject: &str) -> Option<String> {
        if !matches(&republish.source, subject) {
            return None;
        }
        let wildcards: Vec<&str> = republish
            .source
            .split('.')
            .zip(subject.split('.'))
            .filter(|(pattern, _)| *pattern == "*")
            .map(|(_, token)| token)
            .collect();
        let mut destination = republish.destination.clone();
        for (index, token) in wildcards.iter().enumerate() {
            destination = destination.replace(&format!("{{{{wildcard({})}}}}", index + 1), token);
        }
        Some(destination)
    }

    fn low_stock_of(store: i64) -> crate::inventory::StockLow {
        crate::inventory::StockLow {
            level: crate::inventory::StockLevel {
                store_id: crate::StoreId(store),
                product_id: crate::ProductId(7),
                product_name: "Trek".into(),
                on_hand: 1,
                reserved: 0,
                available: 1,
            },
            threshold: 5,
        }
    }

    #[test]
    fn an_event_about_a_store_names_it_in_its_subject() {
        use crate::inventory::{StockChanged, StockLow};
        use crate::orders::OrderStatusChanged;
        let subjects = Subjects::new("shop2.bikestore").expect("valid prefix");
        let low = low_stock_of(3);
        let subject = subjects.event_subject(&low);
        assert_eq!(subject, "shop2.bikestore.evt.inventory.stock_low.3");
        assert_eq!(
            subject,
            subjects.event_of_store::<StockLow>(crate::StoreId(3))
        );
        assert!(matches(
            &subjects.event_of_any_store::<StockLow>(),
            &subject
        ));
        assert!(subjects.is_event_of::<StockLow>(&subject));
        assert!(!subjects.is_event_of::<StockChanged>(&subject));
        assert!(!subjects.is_event_of::<StockLow>("shop2.bikestore.evt.inventory.stock_low"));
        assert!(!subjects.is_event_of::<StockLow>("shop2.bikestore.evt.inventory.stock_low.3.4"));
        // Every event stream keeps every subject of its service, stores included.
        assert!(matches(
            &subjects.events_of_service(ServiceName::Inventory),
            &subject
        ));

        let order_event = subjects.event_of::<OrderStatusChanged>();
        assert_eq!(
            order_event,
            "shop2.bikestore.evt.orders.order_status_changed"
        );
        assert_eq!(
            subjects.event_of_any_store::<OrderStatusChanged>(),
            order_event
        );
        assert!(subjects.is_event_of::<OrderStatusChanged>(&order_event));
    }

    #[test]
    fn inventory_republishes_a_stores_events_to_that_stores_live_feed_only() {
        use crate::inventory::{StockChanged, StockLow};
        let subjects = Subjects::new("shop2.bikestore").expect("valid prefix");
        let republish = subjects
            .live_republish(ServiceName::Inventory)
            .expect("inventory republishes");
        let store = crate::StoreId(3);
        let live = republished(&republish, &subjects.event_of_store::<StockLow>(store));
        assert_eq!(live.as_deref(), Some("shop2.bikestore.live.3.stock_low"));
        assert_eq!(live, Some(subjects.live_event_of::<StockLow>(Some(store))));
        assert_eq!(
            republished(&republish, &subjects.event_of_store::<StockChanged>(store)),
            Some(subjects.live_event_of::<StockChanged>(Some(store)))
        );
        let live = live.unwrap_or_default();
        assert!(matches(&subjects.console_live_feeds(Some(store)), &live));
        assert!(!matches(
            &subjects.console_live_feeds(Some(crate::StoreId(4))),
            &live
        ));
        assert!(matches(&subjects.live_event_of::<StockLow>(None), &live));
        for service in [
            ServiceName::Orders,
            ServiceName::Identity,
            ServiceName::Orchestrator,
        ] {
            assert_eq!(subjects.live_republish(service), None, "{service}");
        }
    }

    #[test]
    fn every_live_subject_sits_under_its_stores_live_tree() {
        let subjects = Subjects::default();
        let store = crate::StoreId(2);
        let own = subjects.console_live_feeds(Some(store));
        let other = subjects.console_live_feeds(Some(crate::StoreId(12)));
        let every = subjects.console_live_feeds(None);
        for live in [
            subjects.live_saga_progress(store, "saga-1"),
            subjects.live_store_notifications(store),
            subjects.live_event_of::<crate::inventory::StockChanged>(Some(store)),
        ] {
            assert!(matches(&own, &live), "{live}");
            assert!(matches(&every, &live), "{live}");
            assert!(!matches(&other, &live), "{live}");
        }
        let progress = subjects.live_saga_progress(store, "saga-1");
        assert!(matches(
            &subjects.live_saga_progress_any_store("saga-1"),
            &progress
        ));
        assert!(matches(
            &subjects.live_every_saga_progress(Some(store)),
            &progress
        ));
        assert!(matches(&subjects.live_every_saga_progress(None), &progress));
        let unassigned = subjects.live_saga_progress_unassigned("saga-1");
        assert!(matches(
            &subjects.live_saga_progress_any_store("saga-1"),
            &unassigned
        ));
        assert!(matches(&every, &unassigned));
        assert!(!matches(&own, &unassigned));
    }

    #[test]
    fn an_inbox_owner_is_a_consoles_nkey_or_the_first_token() {
        let reply = format!("{}.mux.1", console_inbox_prefix("UABC"));
        assert_eq!(inbox_owner(&reply), Some("UABC"));
        assert_eq!(inbox_owner("_INBOX.gateway.mux.1"), Some("gateway"));
        assert_eq!(inbox_owner("_INBOX.x7Yz"), Some("x7Yz"));
        assert_eq!(inbox_owner("_INBOX"), None);
        assert_eq!(inbox_owner("elsewhere.reply"), None);
    }

    #[test]
    fn a_prefix_with_wildcards_or_spaces_is_refused() {
        for bad in ["", "a..b", "a.*", "a.>", "a b", "bike.", ".bike"] {
            assert!(Subjects::new(bad).is_err(), "{bad:?} should be refused");
        }
    }
}
