#![forbid(unsafe_code)]

mod cli;

#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    cli::quiet_on_closed_pipe();
    std::process::exit(cli::run_to_end());
}
