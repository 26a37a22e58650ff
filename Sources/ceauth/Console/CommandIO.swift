import ArgumentParser
import CEAuthCore
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What a command takes from the process and gives back to it: the environment, the two
/// output streams and whether standard input is a terminal. The product uses the process's;
/// tests inject their own and run most commands in-process.
struct CommandIO: Sendable {
    var environment: [String: String]
    var write: @Sendable (String, OS.StandardStream) -> Void
    var inputIsTerminal: Bool

    static var process: CommandIO {
        CommandIO(environment: ProcessInfo.processInfo.environment, write: { OS.write($0, to: $1) },
                  inputIsTerminal: OS.isTerminal(0))
    }
}

/// What the shared run loads before a command's own work.
struct CommandSetup {
    /// --profile; nil: CEAUTH_PROFILE, else default.
    var profile: String?
    /// Run the profile's secret commands (only commands that send requests need them).
    var secrets: Bool
    var quiet = false
    /// Start the emulators for this run (--sandbox).
    var sandbox = false
    /// False for config's set, get and unset, which work on the file itself (a profile they
    /// create need not exist yet).
    var loadsProfile = true
}

/// Every command: `setup` says what to load, `run(_:)` is the command's own work. The shared
/// `run()` loads the profile, environment and sandbox once (Console.run) and maps every error
/// to its documented exit code.
protocol CEAuthCommand: ParsableCommand {
    var setup: CommandSetup { get }
    func run(_ context: CommandContext) throws
}

extension CEAuthCommand {
    func run() throws { try run(io: .process) }

    func run(io: CommandIO) throws {
        try Console.run(setup, io: io) { try run($0) }
    }
}
