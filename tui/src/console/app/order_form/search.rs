//! The customer and product searches of the new-order form: a search box that sends its text on
//! Enter and picks the highlighted result on a second Enter, and what picking does in each pane.

use bikestore_contracts::inventory::{ListProducts, Page};
use bikestore_contracts::orders::SearchCustomers;
use ratatui::crossterm::event::KeyEvent;

use super::panes::add_to_cart;
use super::{FormPane, TextInput};
use crate::console::app::customers::CustomerForm;
use crate::console::app::load::Load;
use crate::console::app::{App, Overlay};
use crate::console::event::Command;
use crate::console::keys::Action;

/// How many matches a search shows.
const SEARCH_LIMIT: u32 = 50;
/// A search box with its results.
#[derive(Debug, Clone, PartialEq)]
pub struct Search<T> {
    /// What is typed.
    pub query: TextInput,
    /// The text of the last search sent, so Enter knows whether to search or to pick.
    pub searched: Option<String>,
    /// The results.
    pub results: Load<T>,
    /// The newest request's ticket.
    pub ticket: u64,
    /// The highlighted result.
    pub selected: usize,
}

impl<T> Default for Search<T> {
    fn default() -> Self {
        Search {
            query: TextInput::default(),
            searched: None,
            results: Load::Idle,
            ticket: 0,
            selected: 0,
        }
    }
}
/// What a key did in a search box.
enum SearchKey {
    /// It moved the highlight or edited the text.
    Handled,
    /// Enter on new text: search for it.
    Search(String),
    /// Enter on the text already searched: take the highlighted result.
    Pick(usize),
    /// Not a key for the search box.
    NotMine,
}

impl<T> Search<T> {
    /// Applies a key, given how many results there are.
    fn key(&mut self, action: Option<Action>, key: KeyEvent, count: usize) -> SearchKey {
        match action {
            Some(Action::Down) => self.selected = (self.selected + 1).min(count.saturating_sub(1)),
            Some(Action::Up) => self.selected = self.selected.saturating_sub(1),
            Some(Action::SearchOrPick) => {
                let query = self.query.text().trim().to_owned();
                if self.searched.as_deref() == Some(query.as_str()) {
                    return SearchKey::Pick(self.selected);
                }
                return SearchKey::Search(query);
            }
            _ if self.query.handle(key) => {}
            _ => return SearchKey::NotMine,
        }
        SearchKey::Handled
    }

    /// Marks a search for `query` as sent under `ticket`.
    fn start(&mut self, query: &str, ticket: u64) {
        self.searched = Some(query.to_owned());
        self.ticket = ticket;
        self.selected = 0;
        self.results.start();
    }
}

/// The first page of a search's results.
const SEARCH_PAGE: Page = Page {
    offset: 0,
    limit: SEARCH_LIMIT,
};

pub(super) fn customer_key(
    app: &mut App,
    action: Option<Action>,
    key: KeyEvent,
) -> Option<Vec<Command>> {
    let search = &mut app.orders.form.customers;
    let count = search.results.data().map_or(0, |page| page.customers.len());
    match search.key(action, key, count) {
        SearchKey::NotMine => return None,
        SearchKey::Handled => {}
        SearchKey::Search(query) => {
            let ticket = app.ticket();
            app.orders.form.customers.start(&query, ticket);
            let request = SearchCustomers {
                name: (!query.is_empty()).then_some(query),
                page: SEARCH_PAGE,
                ..SearchCustomers::default()
            };
            return Some(vec![Command::SearchCustomers { ticket, request }]);
        }
        SearchKey::Pick(index) => {
            let form = &mut app.orders.form;
            let chosen = form
                .customers
                .results
                .data()
                .and_then(|page| page.customers.get(index));
            let found_none = chosen.is_none()
                && form
                    .customers
                    .results
                    .data()
                    .is_some_and(|page| page.customers.is_empty());
            if let Some(customer) = chosen.cloned() {
                form.customer = Some(customer);
                form.pane = FormPane::Products;
            } else if found_none {
                let name = form.customers.query.text().to_owned();
                app.overlay = Overlay::Customer(CustomerForm::for_order(&name));
            }
        }
    }
    Some(Vec::new())
}

pub(super) fn product_key(
    app: &mut App,
    action: Option<Action>,
    key: KeyEvent,
) -> Option<Vec<Command>> {
    let search = &mut app.orders.form.products;
    let count = search.results.data().map_or(0, |page| page.products.len());
    match search.key(action, key, count) {
        SearchKey::NotMine => return None,
        SearchKey::Handled => {}
        SearchKey::Search(query) => {
            let ticket = app.ticket();
            app.orders.form.products.start(&query, ticket);
            let request = ListProducts {
                text: (!query.is_empty()).then_some(query),
                page: SEARCH_PAGE,
                ..ListProducts::default()
            };
            return Some(vec![Command::SearchProducts { ticket, request }]);
        }
        SearchKey::Pick(index) => {
            let products = app.orders.form.products.results.data();
            if let Some(product) = products.and_then(|page| page.products.get(index)).cloned() {
                add_to_cart(app, &product);
            }
        }
    }
    Some(Vec::new())
}
