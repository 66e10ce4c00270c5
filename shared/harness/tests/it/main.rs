//! The harness itself: the systems it starts are what tests are told they are.

mod systems;
