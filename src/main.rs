//! The `joincheck` command: [`joincheck::cli::main`] (the command line lives in the library,
//! behind the default `cli` feature, so that it can use what the library keeps to itself).

fn main() -> std::process::ExitCode {
    joincheck::cli::main()
}
