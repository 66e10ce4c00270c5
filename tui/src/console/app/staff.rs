//! The staff screen (admins only): every member with role, store and whether active; adding a
//! member, changing a member's role or store, giving a new password, and deactivating after a
//! question. The same identity commands the command line's `bikestore staff` sends.

use bikestore_contracts::identity::{
    ChangeStaffRole, CreateStaff, DeactivateStaff, Password, ResetPassword, Role, StaffSummary,
};
use bikestore_contracts::{ErrorCode, StaffId, StoreId};
use ratatui::crossterm::event::KeyEvent;

use super::load::Load;
use super::text_input::TextInput;
use super::{App, Confirm, ConfirmAction, Overlay};
use crate::console::event::{BackendEvent, Command, UiError};
use crate::console::keys::{self, Action, Place};

/// The staff screen's state.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StaffState {
    /// The members.
    pub list: Load<Vec<StaffSummary>>,
    /// The highlighted row.
    pub selected: usize,
    /// Whether deactivated members are listed too.
    pub include_inactive: bool,
}

/// What the staff form does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaffFormKind {
    /// Add a member.
    Create,
    /// Change this member's role or store.
    Change(StaffId),
    /// Give this member a new password.
    Password(StaffId),
}

/// A field of the staff form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaffField {
    /// Login name, typed.
    Username,
    /// Full name, typed.
    Name,
    /// E-mail, typed.
    Email,
    /// Role, chosen with ←→.
    Role,
    /// Store, chosen with ←→.
    Store,
    /// Password, typed and shown as stars.
    Password,
}

impl StaffField {
    /// The field's label.
    pub fn label(self) -> &'static str {
        match self {
            StaffField::Username => "Username",
            StaffField::Name => "Name",
            StaffField::Email => "E-mail",
            StaffField::Role => "Role",
            StaffField::Store => "Store",
            StaffField::Password => "Password",
        }
    }
}

/// The roles ←→ cycle through.
const ROLES: [Role; 3] = [Role::Sales, Role::Manager, Role::Admin];

/// The form over the staff list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffForm {
    /// What it does.
    pub kind: StaffFormKind,
    /// Who it is about, for the title (empty when adding).
    pub member_name: String,
    /// Login name.
    pub username: TextInput,
    /// Full name.
    pub name: TextInput,
    /// E-mail.
    pub email: TextInput,
    /// Role.
    pub role: Role,
    /// Store; `None` means none (admins).
    pub store_id: Option<StoreId>,
    /// The member's role and store before the change, to send only what changed.
    pub was: Option<(Role, Option<StoreId>)>,
    /// The first or the new password.
    pub password: TextInput,
    /// The focused field.
    pub field: StaffField,
}

impl StaffForm {
    /// The fields this form shows, in Tab order.
    pub fn fields(&self) -> &'static [StaffField] {
        match self.kind {
            StaffFormKind::Create => &[
                StaffField::Username,
                StaffField::Name,
                StaffField::Email,
                StaffField::Role,
                StaffField::Store,
                StaffField::Password,
            ],
            StaffFormKind::Change(_) => &[StaffField::Role, StaffField::Store],
            StaffFormKind::Password(_) => &[StaffField::Password],
        }
    }

    /// The form's title.
    pub fn title(&self) -> String {
        match self.kind {
            StaffFormKind::Create => "Add a member of staff".to_owned(),
            StaffFormKind::Change(_) => format!("Role and store of {}", self.member_name),
            StaffFormKind::Password(_) => format!("New password for {}", self.member_name),
        }
    }

    fn blank(kind: StaffFormKind, field: StaffField) -> StaffForm {
        StaffForm {
            kind,
            member_name: String::new(),
            username: TextInput::default(),
            name: TextInput::default(),
            email: TextInput::default(),
            role: Role::Sales,
            store_id: None,
            was: None,
            password: TextInput::default(),
            field,
        }
    }
}

/// Reads the list again.
pub fn reload(app: &mut App) -> Vec<Command> {
    app.staff_screen.list.start();
    vec![Command::LoadStaff {
        include_inactive: app.staff_screen.include_inactive,
    }]
}

/// The members shown, after the `/` filter (on username, name, e-mail and role).
pub fn visible(app: &App) -> Vec<&StaffSummary> {
    app.staff_screen.list.data().map_or_else(Vec::new, |list| {
        list.iter()
            .filter(|member| {
                let text = format!(
                    "{} {} {} {}",
                    member.username, member.name, member.email, member.role
                );
                app.filter.matches(&text)
            })
            .collect()
    })
}

/// A key on the staff screen.
pub fn on_key(app: &mut App, key: KeyEvent) -> Option<Vec<Command>> {
    let count = visible(app).len();
    let screen = &mut app.staff_screen;
    match keys::action_for(Place::Staff, &key)? {
        Action::Down => screen.selected = (screen.selected + 1).min(count.saturating_sub(1)),
        Action::Up => screen.selected = screen.selected.saturating_sub(1),
        Action::ToggleInactive => {
            screen.include_inactive = !screen.include_inactive;
            return Some(reload(app));
        }
        Action::Reload => return Some(reload(app)),
        action @ (Action::Add | Action::Edit | Action::Password | Action::Deactivate) => {
            administer(app, action);
        }
        _ => return None,
    }
    Some(Vec::new())
}

/// Opens the form or question for `action`: add, edit role and store, password, deactivate.
fn administer(app: &mut App, action: Action) {
    // The tab is hidden from others already; this keeps a stray key from ever opening a form.
    if app.role() != Some(Role::Admin) {
        app.fail(UiError::new(
            ErrorCode::Forbidden,
            "only admins administer staff",
        ));
        return;
    }
    if action == Action::Add {
        let mut form = StaffForm::blank(StaffFormKind::Create, StaffField::Username);
        form.store_id = app
            .store_id
            .or(app.stores.first().map(|store| store.store_id));
        app.overlay = Overlay::Staff(form);
        return;
    }
    let selected = app.staff_screen.selected;
    let Some(member) = visible(app).get(selected).map(|member| (*member).clone()) else {
        return;
    };
    match action {
        Action::Edit => {
            let mut form =
                StaffForm::blank(StaffFormKind::Change(member.staff_id), StaffField::Role);
            form.member_name = member.name;
            form.role = member.role;
            form.store_id = member.store_id;
            form.was = Some((member.role, member.store_id));
            app.overlay = Overlay::Staff(form);
        }
        Action::Password => {
            let mut form = StaffForm::blank(
                StaffFormKind::Password(member.staff_id),
                StaffField::Password,
            );
            form.member_name = member.name;
            app.overlay = Overlay::Staff(form);
        }
        _ if !member.active => app.inform(format!("{} is inactive already", member.name)),
        _ => {
            app.overlay = Overlay::Confirm(Confirm {
                action: ConfirmAction::DeactivateStaff(member.staff_id),
                prompt: format!(
                    "Deactivate {} ({})? They can no longer log in.",
                    member.name, member.username
                ),
                reason: None,
            });
        }
    }
}

/// Sends a confirmed deactivation.
pub fn deactivate(app: &mut App, staff_id: StaffId) -> Vec<Command> {
    app.inform(format!("deactivating staff #{staff_id}…"));
    vec![Command::DeactivateStaff(DeactivateStaff { staff_id })]
}

/// A key in the staff form: text edits, Tab and ↑↓ move, ←→ choose role or store, Enter
/// sends, Esc closes.
pub fn on_form_key(app: &mut App, key: KeyEvent) -> Vec<Command> {
    let store_choices: Vec<Option<StoreId>> = std::iter::once(None)
        .chain(app.stores.iter().map(|store| Some(store.store_id)))
        .collect();
    let Overlay::Staff(form) = &mut app.overlay else {
        return Vec::new();
    };
    let fields = form.fields();
    let position = fields
        .iter()
        .position(|field| *field == form.field)
        .unwrap_or(0);
    let action = keys::action_for(Place::StaffForm, &key);
    let forward = action == Some(Action::NextChoice);
    match action {
        Some(Action::Close) => app.overlay = Overlay::None,
        Some(Action::Submit) => return submit(app),
        Some(Action::NextField) => {
            form.field = fields
                .get((position + 1) % fields.len())
                .copied()
                .unwrap_or(form.field);
        }
        Some(Action::PreviousField) => {
            form.field = fields
                .get((position + fields.len() - 1) % fields.len())
                .copied()
                .unwrap_or(form.field);
        }
        Some(Action::PreviousChoice | Action::NextChoice) if form.field == StaffField::Role => {
            form.role = cycle(&ROLES, &form.role, forward).unwrap_or(form.role);
        }
        Some(Action::PreviousChoice | Action::NextChoice) if form.field == StaffField::Store => {
            form.store_id = cycle(&store_choices, &form.store_id, forward).flatten();
        }
        _ => {
            let input = match form.field {
                StaffField::Username => &mut form.username,
                StaffField::Name => &mut form.name,
                StaffField::Email => &mut form.email,
                StaffField::Password => &mut form.password,
                StaffField::Role | StaffField::Store => return Vec::new(),
            };
            input.handle(key);
        }
    }
    Vec::new()
}

/// The choice after (or before) `current` in `choices`, wrapping around.
fn cycle<T: PartialEq + Clone>(choices: &[T], current: &T, forward: bool) -> Option<T> {
    let position = choices.iter().position(|choice| choice == current)?;
    let step = if forward { 1 } else { choices.len() - 1 };
    choices.get((position + step) % choices.len()).cloned()
}

fn submit(app: &mut App) -> Vec<Command> {
    let Overlay::Staff(form) = &app.overlay else {
        return Vec::new();
    };
    let checked = staff_command(form);
    app.submit_form(checked)
}

/// The identity command the form asks for, or what to fix first.
fn staff_command(form: &StaffForm) -> Result<Command, &'static str> {
    let needs_store = form.role != Role::Admin;
    match form.kind {
        StaffFormKind::Create => {
            let text = |input: &TextInput| input.text().trim().to_owned();
            let (username, name, email) =
                (text(&form.username), text(&form.name), text(&form.email));
            if username.is_empty() || name.is_empty() || email.is_empty() {
                return Err("a member needs a username, a name and an e-mail");
            }
            if needs_store && form.store_id.is_none() {
                return Err("managers and sales need a store");
            }
            if form.password.is_blank() {
                return Err("a member needs a first password");
            }
            Ok(Command::CreateStaff(CreateStaff {
                username,
                name,
                email,
                role: form.role,
                store_id: form.store_id.filter(|_| needs_store),
                password: Password::from(form.password.text()),
            }))
        }
        StaffFormKind::Change(staff_id) => {
            if needs_store && form.store_id.is_none() {
                return Err("managers and sales need a store");
            }
            let (was_role, was_store) = form.was.unwrap_or((form.role, form.store_id));
            // Identity keeps what is absent, so only what changed is sent.
            let role = (form.role != was_role).then_some(form.role);
            let store_id = form
                .store_id
                .filter(|store_id| Some(*store_id) != was_store);
            if role.is_none() && store_id.is_none() {
                return Err("nothing changed");
            }
            Ok(Command::ChangeStaffRole(ChangeStaffRole {
                staff_id,
                role,
                store_id,
            }))
        }
        StaffFormKind::Password(staff_id) => {
            if form.password.is_blank() {
                return Err("type the new password");
            }
            Ok(Command::ResetPassword(ResetPassword {
                staff_id,
                new_password: Password::from(form.password.text()),
            }))
        }
    }
}

/// A backend answer the staff screen cares about.
pub fn on_backend(app: &mut App, event: &BackendEvent) -> Vec<Command> {
    match event {
        BackendEvent::Staff(list) => app.staff_screen.list = Load::Ready(list.clone()),
        BackendEvent::StaffSaved(saved) => {
            app.inform(format!("staff #{} saved", saved.staff_id));
            return reload(app);
        }
        _ => {}
    }
    Vec::new()
}
