//! Tests of the stock screen: receive, adjust and transfer, and who may do which.

use super::*;

/// A console on the stock screen of store 1 with the demo levels.
pub(crate) fn stock_app(role: Role) -> App {
    let mut app = demo::app(role);
    let tab = app.visible_tabs().iter().position(|tab| *tab == Tab::Stock);
    let digit = char::from(b'1' + tab.unwrap_or(0) as u8);
    let commands = press(&mut app, KeyCode::Char(digit));
    assert_eq!(commands, vec![Command::LoadStoreStock(StoreId(1))]);
    backend(
        &mut app,
        BackendEvent::StoreStock {
            store_id: StoreId(1),
            levels: demo::stock(),
        },
    );
    app
}

#[test]
fn stock_is_received_by_anyone_and_adjusted_only_by_managers_with_a_reason() {
    let mut sales = stock_app(Role::Sales);
    // Sorted by name: Trek Conduit+, Trek Fuel EX 8, Trek Remedy, Trek Slash.
    press(&mut sales, KeyCode::Char('a'));
    assert_eq!(sales.overlay, Overlay::None, "sales may not adjust");
    press(&mut sales, KeyCode::Char('r'));
    assert_eq!(sales.place(), Place::StockForm);
    type_text(&mut sales, "x");
    assert!(press(&mut sales, KeyCode::Enter).is_empty(), "not a number");
    control(&mut sales, 'u');
    type_text(&mut sales, "5");
    let commands = press(&mut sales, KeyCode::Enter);
    assert!(matches!(
        commands.as_slice(),
        [Command::ReceiveStock(receive)] if receive.quantity == 5 && receive.product_id == ProductId(9)
    ));
    assert_eq!(sales.overlay, Overlay::None);

    let mut manager = stock_app(Role::Manager);
    press(&mut manager, KeyCode::Char('j'));
    press(&mut manager, KeyCode::Char('a'));
    type_text(&mut manager, "-2");
    assert!(
        press(&mut manager, KeyCode::Enter).is_empty(),
        "a reason is needed"
    );
    press(&mut manager, KeyCode::Tab);
    type_text(&mut manager, "damaged in the workshop");
    let commands = press(&mut manager, KeyCode::Enter);
    assert!(matches!(
        commands.as_slice(),
        [Command::AdjustStock(adjust)]
            if adjust.delta == -2 && adjust.product_id == ProductId(13)
                && adjust.reason == "damaged in the workshop"
    ));
    backend(
        &mut manager,
        BackendEvent::StockUpdated(demo::stock_level(13, 7)),
    );
    let level = manager
        .stock
        .list
        .data()
        .and_then(|levels| {
            levels
                .iter()
                .find(|level| level.product_id == ProductId(13))
        })
        .map(|level| level.available);
    assert_eq!(level, Some(7));
}

#[test]
fn a_transfer_goes_to_another_store_and_its_saga_is_followed() {
    let mut app = stock_app(Role::Manager);
    press(&mut app, KeyCode::Char('t'));
    type_text(&mut app, "2");
    press(&mut app, KeyCode::Right);
    let commands = press(&mut app, KeyCode::Enter);
    let [
        Command::TransferStock {
            request,
            idempotency_key,
        },
    ] = commands.as_slice()
    else {
        panic!("Enter starts the transfer, got {commands:?}");
    };
    assert_eq!(request.from_store_id, StoreId(1));
    assert_eq!(
        request.to_store_id,
        StoreId(3),
        "→ moved from store 2 to store 3"
    );
    assert_eq!(request.quantity, 2);
    assert!(idempotency_key.starts_with("console-2-"));
    let saga_id = SagaId("01JDZ5R3Q8W0TRANSFER00001".to_owned());
    let commands = backend(
        &mut app,
        BackendEvent::TransferStarted(SagaStarted {
            saga_id: saga_id.clone(),
            state: SagaState::Running,
            error: None,
            order_id: None,
        }),
    );
    assert_eq!(commands, vec![Command::WatchSaga(saga_id.clone())]);
    backend(
        &mut app,
        BackendEvent::SagaProgressed(SagaProgressed {
            saga_id,
            definition: "transfer_stock".to_owned(),
            state: SagaState::Completed,
            step: "end".to_owned(),
            last: Some(demo::entry(
                "commit_at_source",
                Phase::Action,
                Outcome::Succeeded,
                0,
            )),
        }),
    );
    let watch = app
        .stock
        .transfer
        .as_ref()
        .map(|watch| (watch.state, watch.history.len()));
    assert_eq!(watch, Some((SagaState::Completed, 1)));
}

#[test]
fn admins_need_a_store_for_the_stock_screen() {
    let mut app = demo::app(Role::Admin);
    let commands = press(&mut app, KeyCode::Char('5'));
    assert_eq!(app.tab, Tab::Stock);
    assert!(commands.is_empty());
    assert!(matches!(app.stock.list, Load::Failed(_)));
    let commands = press(&mut app, KeyCode::Char('s'));
    assert!(commands.contains(&Command::LoadStoreStock(StoreId(1))));
}
