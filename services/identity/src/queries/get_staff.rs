//! `get_staff`: one member of staff.

use bikestore_contracts::identity::{GetStaff, StaffSummary};
use bikestore_runtime::Ctx;

use crate::Identity;
use crate::error::IdentityError;
use crate::store::staff;

/// Reads the member; an unknown one is `not_found`.
pub async fn handle(ctx: Ctx<Identity>, request: GetStaff) -> Result<StaffSummary, IdentityError> {
    let staff_id = request.staff_id;
    ctx.db
        .query(move |connection| staff::get(connection, staff_id))
        .await
}
