import ArgumentParser
import CEAuthCore

/// `enable` and `disable`: one request each through the instance's own token.
struct Enable: CEAuthCommand {
    static let configuration = CommandConfiguration(
        commandName: "enable",
        abstract: "Restart a disabled instance at Cloud Elements (PUT /instances/enabled).",
        discussion: Enable.discussion)

    static let discussion = """
        Sent through the instance's own token, with CEAUTH_USER_SECRET and CEAUTH_ORG_SECRET. \
        Exit codes: 0 done; 4 Cloud Elements refused (the token too: run ceauth verify); 5, 7, 8 as for verify; \
        6 keyfile; 9 no such instance; 64 usage, or a sandbox instance without --sandbox.
        """

    @OptionGroup var profileOptions: ProfileOptions
    @OptionGroup var target: InstanceArgument
    @OptionGroup var options: LiveOptions

    var setup: CommandSetup { CommandSetup(profile: profileOptions.profile, secrets: true, sandbox: target.sandboxOptions.sandbox) }

    func run(_ context: CommandContext) throws { try Self.set(true, target, options, context) }

    static func set(_ enabled: Bool, _ target: InstanceArgument, _ options: LiveOptions, _ context: CommandContext) throws {
        let live = try LiveTarget(target, context, options)
        if options.dryRun {
            return live.show(live.client.enabledRequest(enabled, token: live.instance.token), on: context.console, json: options.json)
        }
        try live.client.setEnabled(enabled, token: live.instance.token)
        context.console.say("\(enabled ? "Enabled" : "Disabled") \(live.instance.summary) at Cloud Elements.")
        if options.json { context.console.json(CommandJSON.enabled(live.instance, enabled)) }
    }
}

struct Disable: CEAuthCommand {
    static let configuration = CommandConfiguration(
        commandName: "disable",
        abstract: "Stop an instance at Cloud Elements (DELETE /instances/enabled); ceauth enable restarts it.",
        discussion: Enable.discussion)

    @OptionGroup var profileOptions: ProfileOptions
    @OptionGroup var target: InstanceArgument
    @OptionGroup var options: LiveOptions

    var setup: CommandSetup { CommandSetup(profile: profileOptions.profile, secrets: true, sandbox: target.sandboxOptions.sandbox) }

    func run(_ context: CommandContext) throws { try Enable.set(false, target, options, context) }
}
