//! The workspace's integration tests: one binary, one module per feature.

mod browser;
mod browser_lab_ui;
mod browser_picture;
mod browser_terminal;
mod browser_workshop;
mod labs;
mod lessons;
mod picture_stream;
mod progress;
mod quiz;
mod terminal;
mod workshops;
