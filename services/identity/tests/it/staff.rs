//! Staff administration: create, read, list, change role or store, reset a password,
//! deactivate; each change publishes `staff_changed`; the seed loads the documented demo
//! logins.

use std::time::Duration;

use bikestore_contracts::identity::{
    ChangeStaffRole, CreateStaff, DeactivateStaff, GetStaff, ListStaff, MAX_STAFF_NAMES,
    ResetPassword, Role, StaffChange, StaffChanged, StaffName, StaffNames,
};
use bikestore_contracts::{ErrorCode, StaffId, StoreId};
use bikestore_testkit::read_events;

use crate::support::{login, refresh, with_service, without_service};

const PASSWORD: &str = "correct horse battery";

fn new_member(username: &str, role: Role, store: Option<i64>) -> CreateStaff {
    CreateStaff {
        username: username.into(),
        name: "Jo Park".into(),
        email: "jo.park@bikes.shop".into(),
        role,
        store_id: store.map(StoreId),
        password: PASSWORD.into(),
    }
}

#[tokio::test]
async fn staff_are_created_changed_and_deactivated_with_events() -> anyhow::Result<()> {
    let system = with_service().await?;
    let caller = system.as_gateway();
    let staff_id = caller
        .call(&new_member("jo.park", Role::Sales, Some(1)))
        .await?
        .staff_id;
    let taken = caller
        .call(&new_member("JO.PARK", Role::Sales, Some(1)))
        .await
        .unwrap_err();
    assert_eq!(taken.code, ErrorCode::Conflict);
    let no_store = caller
        .call(&new_member("kim.lee", Role::Manager, None))
        .await
        .unwrap_err();
    assert_eq!(no_store.code, ErrorCode::Invalid);
    assert_eq!(no_store.details["field"], "store_id");
    let short = CreateStaff {
        password: "short".into(),
        ..new_member("kim.lee", Role::Sales, Some(1))
    };
    let short = caller.call(&short).await.unwrap_err();
    assert_eq!(short.details["field"], "password");
    assert!(!short.message.contains("short"), "{}", short.message);

    let change = ChangeStaffRole {
        staff_id,
        role: Some(Role::Manager),
        store_id: Some(StoreId(3)),
    };
    caller.call(&change).await?;
    let member = caller.call(&GetStaff { staff_id }).await?;
    assert_eq!(
        (member.role, member.store_id),
        (Role::Manager, Some(StoreId(3)))
    );
    let to_admin = ChangeStaffRole {
        staff_id,
        role: Some(Role::Admin),
        store_id: None,
    };
    caller.call(&to_admin).await?;

    let (session, session_key) = login(&system, "jo.park", PASSWORD).await?;
    caller
        .call(&ResetPassword {
            staff_id,
            new_password: "another good password".into(),
        })
        .await?;
    assert!(login(&system, "jo.park", PASSWORD).await.is_err());
    let revoked = refresh(&system, &session.refresh_token, &session_key)
        .await
        .unwrap_err();
    assert_eq!(
        revoked.code,
        ErrorCode::Unauthorized,
        "a reset ends sessions"
    );
    login(&system, "jo.park", "another good password").await?;

    caller.call(&DeactivateStaff { staff_id }).await?;
    let active = caller.call(&ListStaff::default()).await?;
    assert_eq!(active.total, 0);
    let everyone = ListStaff {
        include_inactive: true,
        ..ListStaff::default()
    };
    let everyone = caller.call(&everyone).await?;
    assert_eq!(everyone.total, 1);
    assert!(!everyone.staff[0].active);
    let missing = caller
        .call(&GetStaff {
            staff_id: StaffId(999),
        })
        .await
        .unwrap_err();
    assert_eq!(missing.code, ErrorCode::NotFound);
    // Names outlive deactivation (the orders a member took still name them); unknown numbers
    // are left out, and a list of none or too many is refused.
    let names = caller
        .call(&StaffNames {
            staff_ids: vec![staff_id, StaffId(999), staff_id],
        })
        .await?;
    assert_eq!(
        names.names,
        [StaffName {
            staff_id,
            name: "Jo Park".into()
        }]
    );
    for staff_ids in [Vec::new(), vec![staff_id; MAX_STAFF_NAMES + 1]] {
        let refused = caller.call(&StaffNames { staff_ids }).await.unwrap_err();
        assert_eq!(refused.code, ErrorCode::Invalid);
        assert_eq!(refused.details["field"], "staff_ids");
    }

    let events: Vec<StaffChanged> = read_events(
        system.client(),
        system.subjects(),
        5,
        Duration::from_secs(10),
    )
    .await?;
    let changes: Vec<StaffChange> = events.iter().map(|event| event.change).collect();
    assert_eq!(
        changes,
        [
            StaffChange::Created,
            StaffChange::RoleChanged,
            StaffChange::RoleChanged,
            StaffChange::PasswordReset,
            StaffChange::Deactivated
        ]
    );
    assert!(!events[4].active);
    system.stop().await
}

#[tokio::test]
async fn the_seed_loads_the_demo_logins_once() -> anyhow::Result<()> {
    use bikestore_identity::seed::{SeedOutcome, demo_logins, seed};
    let mut system = without_service().await?;
    let database = bikestore_identity::open_database(&system.configs().identity).await?;
    assert_eq!(seed(&database).await?, SeedOutcome::Loaded { staff: 10 });
    assert_eq!(
        seed(&database).await?,
        SeedOutcome::AlreadySeeded { staff: 10 }
    );
    database.close().await;
    system
        .start_service(bikestore_contracts::ServiceName::Identity)
        .await?;
    let (admin, _) = login(&system, "admin", "admin-demo-1").await?;
    assert_eq!(
        (admin.staff.role, admin.staff.store_id),
        (Role::Admin, None)
    );
    let (sales, _) = login(&system, "sales2b", "sales2b-demo-1").await?;
    assert_eq!(
        (sales.staff.role, sales.staff.store_id),
        (Role::Sales, Some(StoreId(2)))
    );
    let store_two = ListStaff {
        store_id: Some(StoreId(2)),
        ..ListStaff::default()
    };
    assert_eq!(system.caller().call(&store_two).await?.total, 3);
    assert_eq!(demo_logins().len(), 10);
    system.stop().await
}
