//! The state of something read from the network: not asked yet, on its way (keeping what was
//! shown before, so a reload does not blank the screen), there, or failed.

use crate::console::event::UiError;

/// Data the console reads from a service.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Load<T> {
    /// Not asked for yet.
    #[default]
    Idle,
    /// Asked for; the previous data, if any, stays on screen meanwhile.
    Loading(Option<T>),
    /// Here it is.
    Ready(T),
    /// The request failed.
    Failed(UiError),
}

impl<T> Load<T> {
    /// The data to show, fresh or stale.
    pub fn data(&self) -> Option<&T> {
        match self {
            Load::Loading(Some(data)) | Load::Ready(data) => Some(data),
            _ => None,
        }
    }

    /// The data to change in place (for live events), fresh or stale.
    pub fn data_mut(&mut self) -> Option<&mut T> {
        match self {
            Load::Loading(Some(data)) | Load::Ready(data) => Some(data),
            _ => None,
        }
    }

    /// Whether a request is on its way.
    pub fn is_loading(&self) -> bool {
        matches!(self, Load::Loading(_))
    }

    /// Marks a new request as sent, keeping the data shown so far.
    pub fn start(&mut self) {
        let previous = std::mem::take(self);
        *self = Load::Loading(match previous {
            Load::Loading(data) => data,
            Load::Ready(data) => Some(data),
            Load::Idle | Load::Failed(_) => None,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bikestore_contracts::ErrorCode;

    #[test]
    fn a_reload_keeps_the_old_data_until_the_new_arrives() {
        let mut load = Load::Ready(vec![1, 2]);
        load.start();
        assert!(load.is_loading());
        assert_eq!(load.data(), Some(&vec![1, 2]));
        load = Load::Failed(UiError::new(ErrorCode::Timeout, "late"));
        assert_eq!(load.data(), None);
        load.start();
        assert_eq!(load, Load::Loading(None));
    }
}
