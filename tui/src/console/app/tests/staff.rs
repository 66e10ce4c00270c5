//! Tests of the staff screen: admins only; adding, changing, resetting and deactivating.

use super::*;

#[test]
fn only_admins_see_the_staff_screen() {
    assert!(!demo::app(Role::Sales).visible_tabs().contains(&Tab::Staff));
    assert!(
        !demo::app(Role::Manager)
            .visible_tabs()
            .contains(&Tab::Staff)
    );
    let mut admin = demo::app(Role::Admin);
    assert!(admin.visible_tabs().contains(&Tab::Staff));
    let commands = press(&mut admin, KeyCode::Char('8'));
    assert_eq!(admin.tab, Tab::Staff);
    assert_eq!(
        commands,
        vec![Command::LoadStaff {
            include_inactive: false
        }]
    );
    assert_eq!(
        press(&mut admin, KeyCode::Char('i')),
        vec![Command::LoadStaff {
            include_inactive: true
        }]
    );
}

/// An admin on the staff screen with the demo members: admin, manager, and an inactive sales.
fn staff_app() -> App {
    let mut app = demo::app(Role::Admin);
    press(&mut app, KeyCode::Char('8'));
    backend(&mut app, BackendEvent::Staff(demo::staff_list()));
    app
}

#[test]
fn admins_add_a_member_with_role_store_and_first_password() {
    let mut app = staff_app();
    press(&mut app, KeyCode::Char('a'));
    assert_eq!(app.place(), Place::StaffForm);
    type_text(&mut app, "kim.lee");
    press(&mut app, KeyCode::Tab);
    type_text(&mut app, "Kim Lee");
    press(&mut app, KeyCode::Tab);
    type_text(&mut app, "kim@bikes.shop");
    press(&mut app, KeyCode::Tab);
    press(&mut app, KeyCode::Right);
    press(&mut app, KeyCode::Tab);
    press(&mut app, KeyCode::Right);
    press(&mut app, KeyCode::Tab);
    assert!(
        press(&mut app, KeyCode::Enter).is_empty(),
        "no password yet"
    );
    assert!(matches!(
        &app.status,
        Some(StatusMessage::Error(error)) if error.code == ErrorCode::Invalid
    ));
    type_text(&mut app, "first-pass-42");
    let commands = press(&mut app, KeyCode::Enter);
    let [Command::CreateStaff(create)] = commands.as_slice() else {
        panic!("Enter adds the member, got {commands:?}");
    };
    assert_eq!(create.username, "kim.lee");
    assert_eq!(create.name, "Kim Lee");
    assert_eq!(create.email, "kim@bikes.shop");
    assert_eq!(create.role, Role::Manager);
    assert_eq!(create.store_id, Some(StoreId(2)));
    assert_eq!(
        create.password,
        bikestore_contracts::identity::Password::from("first-pass-42")
    );
    assert_eq!(app.overlay, Overlay::None);
    let saved = bikestore_contracts::identity::StaffSaved {
        staff_id: bikestore_contracts::StaffId(4),
    };
    assert_eq!(
        backend(&mut app, BackendEvent::StaffSaved(saved)),
        vec![Command::LoadStaff {
            include_inactive: false
        }]
    );
}

#[test]
fn admins_change_only_the_role_or_store_that_changed() {
    let mut app = staff_app();
    press(&mut app, KeyCode::Char('j'));
    press(&mut app, KeyCode::Char('e'));
    assert!(
        press(&mut app, KeyCode::Enter).is_empty(),
        "nothing changed yet"
    );
    press(&mut app, KeyCode::Right);
    let commands = press(&mut app, KeyCode::Enter);
    let [Command::ChangeStaffRole(change)] = commands.as_slice() else {
        panic!("Enter changes the role, got {commands:?}");
    };
    assert_eq!(change.staff_id, bikestore_contracts::StaffId(2));
    assert_eq!(change.role, Some(Role::Admin));
    assert_eq!(change.store_id, None);

    press(&mut app, KeyCode::Char('e'));
    press(&mut app, KeyCode::Tab);
    press(&mut app, KeyCode::Right);
    let commands = press(&mut app, KeyCode::Enter);
    let [Command::ChangeStaffRole(change)] = commands.as_slice() else {
        panic!("Enter changes the store, got {commands:?}");
    };
    assert_eq!(change.role, None);
    assert_eq!(change.store_id, Some(StoreId(2)));
}

#[test]
fn admins_reset_a_password_and_deactivate_only_after_yes() {
    let mut app = staff_app();
    press(&mut app, KeyCode::Char('j'));
    press(&mut app, KeyCode::Char('p'));
    assert!(
        press(&mut app, KeyCode::Enter).is_empty(),
        "a blank password is refused"
    );
    type_text(&mut app, "new-pass-77");
    let commands = press(&mut app, KeyCode::Enter);
    let [Command::ResetPassword(reset)] = commands.as_slice() else {
        panic!("Enter sets the password, got {commands:?}");
    };
    assert_eq!(reset.staff_id, bikestore_contracts::StaffId(2));

    press(&mut app, KeyCode::Char('d'));
    assert_eq!(app.place(), Place::Confirm);
    assert!(press(&mut app, KeyCode::Char('n')).is_empty());
    assert_eq!(app.overlay, Overlay::None);
    press(&mut app, KeyCode::Char('d'));
    let commands = press(&mut app, KeyCode::Char('y'));
    let [Command::DeactivateStaff(deactivate)] = commands.as_slice() else {
        panic!("yes deactivates, got {commands:?}");
    };
    assert_eq!(deactivate.staff_id, bikestore_contracts::StaffId(2));

    // The inactive member is not asked about again.
    press(&mut app, KeyCode::Char('j'));
    assert!(press(&mut app, KeyCode::Char('d')).is_empty());
    assert_eq!(app.overlay, Overlay::None);
}

#[test]
fn only_admins_get_the_staff_keys() {
    let offered = |role, wanted: &str| {
        keys::hints_for(Place::Staff, Some(role)).any(|hint| hint.keys() == wanted)
    };
    assert!(offered(Role::Admin, "d"));
    assert!(!offered(Role::Manager, "a"));
    assert!(!offered(Role::Manager, "d"));
    // Even with the screen forced open, a manager's keys open nothing.
    let mut manager = demo::app(Role::Manager);
    manager.tab = Tab::Staff;
    backend(&mut manager, BackendEvent::Staff(demo::staff_list()));
    for letter in ['a', 'e', 'p', 'd'] {
        press(&mut manager, KeyCode::Char(letter));
        assert_eq!(manager.overlay, Overlay::None, "{letter}");
    }
    assert!(matches!(
        &manager.status,
        Some(StatusMessage::Error(error)) if error.code == ErrorCode::Forbidden
    ));
}
