import ArgumentParser
import CEAuthCore

struct Tag: CEAuthCommand {
    static let configuration = CommandConfiguration(
        commandName: "tag",
        abstract: "Show or change an instance's tags at Cloud Elements.",
        discussion: """
        Reads the tags (GET /instances/{id}); with --add or --remove, PATCHes the whole new list once and prints it. \
        Needs CEAUTH_USER_SECRET and CEAUTH_ORG_SECRET.
        Exit codes: 0 done; 11 Cloud Elements no longer has the instance; 4, 5, 7, 8 as for verify; 6 keyfile; 9 no such instance; 64 usage.
        """)

    @OptionGroup var profileOptions: ProfileOptions
    @OptionGroup var target: InstanceArgument

    @Option(help: ArgumentHelp("Add this tag (repeatable).", valueName: "tag"))
    var add: [String] = []

    @Option(help: ArgumentHelp("Remove this tag (repeatable).", valueName: "tag"))
    var remove: [String] = []

    @OptionGroup var options: LiveOptions

    func validate() throws {
        if let empty = (add + remove).first(where: { $0.trimmingWhitespace().isEmpty }) {
            throw ValidationError("a tag is empty ('\(empty)'); give a word")
        }
    }

    var setup: CommandSetup { CommandSetup(profile: profileOptions.profile, secrets: true, sandbox: target.sandboxOptions.sandbox) }

    func run(_ context: CommandContext) throws {
        let live = try LiveTarget(target, context, options)
        let current = LiveInstance.tags(of: try live.fetch())
        var tags = LiveInstance.editedTags(current, add: add, remove: remove)
        if tags != current {
            let body = LiveInstance.tagsPatch(tags)
            if options.dryRun { return live.show(live.client.patchRequest(id: live.instance.id, body: body), on: context.console, json: options.json) }
            tags = LiveInstance.tags(of: try live.client.patchInstance(id: live.instance.id, body: body))
            context.console.say("Changed the tags of \(live.instance.summary) at Cloud Elements.")
        } else if options.dryRun {
            context.console.say("The tags of \(live.instance.summary) would not change; nothing would be sent.")
        }
        if options.json { return context.console.json(CommandJSON.tags(live.instance, tags)) }
        for tag in tags { context.console.print(tag) }
    }
}
