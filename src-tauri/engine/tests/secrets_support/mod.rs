#![allow(dead_code)]
pub mod plant;
pub mod session;
