//! The interactive staff console.
