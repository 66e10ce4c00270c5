//! Tests of the sagas screen: retry and resolve after confirming, live progress, the filter.

use super::*;

#[test]
fn managers_retry_and_resolve_sagas_after_confirming() {
    let mut app = demo::app(Role::Manager);
    let commands = press(&mut app, KeyCode::Char('3'));
    assert_eq!(app.tab, Tab::Sagas);
    assert!(
        matches!(commands.as_slice(), [Command::LoadSagas(list)] if list.state == Some(SagaState::Stuck))
    );
    backend(
        &mut app,
        BackendEvent::Sagas(bikestore_contracts::sagas::SagaList {
            sagas: demo::sagas(),
        }),
    );
    press(&mut app, KeyCode::Char('r'));
    let commands = press(&mut app, KeyCode::Char('y'));
    assert_eq!(
        commands,
        vec![Command::RetrySaga(SagaId(
            "01JDZ5R3Q8W0ASTUCK0000001".to_owned()
        ))]
    );

    press(&mut app, KeyCode::Char('x'));
    // Resolving needs a reason: an empty one is refused and the question stays.
    assert!(press(&mut app, KeyCode::Enter).is_empty());
    assert!(matches!(app.overlay, Overlay::Confirm(_)));
    type_text(&mut app, "refunded by phone");
    let commands = press(&mut app, KeyCode::Enter);
    assert!(matches!(
        commands.as_slice(),
        [Command::ResolveSaga { reason, .. }] if reason == "refunded by phone"
    ));
}

#[test]
fn live_progress_moves_saga_rows_and_the_open_saga() {
    let mut app = demo::app(Role::Admin);
    press(&mut app, KeyCode::Char('3'));
    backend(
        &mut app,
        BackendEvent::Sagas(bikestore_contracts::sagas::SagaList {
            sagas: demo::sagas(),
        }),
    );
    press(&mut app, KeyCode::Char('j'));
    let commands = press(&mut app, KeyCode::Enter);
    let running = SagaId("01JDZ5R3Q8W0RUNNING000002".to_owned());
    assert_eq!(commands, vec![Command::WatchSaga(running.clone())]);
    backend(
        &mut app,
        BackendEvent::Saga(demo::saga(&running.0, SagaState::Running)),
    );
    assert_eq!(app.sagas.view, SagasView::Detail);
    backend(
        &mut app,
        BackendEvent::SagaProgressed(SagaProgressed {
            saga_id: running.clone(),
            definition: "place_order".to_owned(),
            state: SagaState::Completed,
            step: "end".to_owned(),
            last: Some(demo::entry(
                "confirm_order",
                Phase::Action,
                Outcome::Succeeded,
                300,
            )),
        }),
    );
    let live = app
        .sagas
        .live
        .as_ref()
        .map(|watch| (watch.state, watch.history.len()));
    assert_eq!(live, Some((SagaState::Completed, 3)));
    let row = app
        .sagas
        .list
        .data()
        .and_then(|sagas| sagas.iter().find(|saga| saga.saga_id == running))
        .map(|saga| saga.state);
    assert_eq!(row, Some(SagaState::Completed));
}

#[test]
fn the_saga_filter_narrows_what_enter_opens_and_retry_names() {
    let mut app = demo::app(Role::Manager);
    press(&mut app, KeyCode::Char('3'));
    backend(
        &mut app,
        BackendEvent::Sagas(bikestore_contracts::sagas::SagaList {
            sagas: demo::sagas(),
        }),
    );
    assert!(
        press(&mut app, KeyCode::Char('/')).is_empty(),
        "the filter works on the rows read"
    );
    assert_eq!(app.place(), Place::Filter);
    type_text(&mut app, "failed");
    press(&mut app, KeyCode::Enter);
    assert_eq!(app::sagas::visible(&app).len(), 1);
    let failed = SagaId("01JDZ5R3Q8W0FAILED0000003".to_owned());
    assert_eq!(press(&mut app, KeyCode::Char('j')), Vec::new());
    assert_eq!(app.sagas.selected, 0, "one row: j stays on it");
    press(&mut app, KeyCode::Char('r'));
    assert_eq!(
        press(&mut app, KeyCode::Char('y')),
        vec![Command::RetrySaga(failed.clone())]
    );
    assert_eq!(
        press(&mut app, KeyCode::Enter),
        vec![Command::WatchSaga(failed)]
    );
    // The detail has no list to filter: `/` does nothing there, Esc goes back to the list.
    assert_eq!(app.place(), Place::SagaDetail);
    press(&mut app, KeyCode::Char('/'));
    assert_eq!(app.place(), Place::SagaDetail);
    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::Esc);
    assert!(!app.filter.is_active(), "Esc on the list clears the filter");
    assert_eq!(app::sagas::visible(&app).len(), 3);
}
