fn main() -> std::process::ExitCode {
    repocheck::cli::main()
}
