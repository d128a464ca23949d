package io.meshbus.bus.directory;

import io.meshbus.bus.Backplane;
import io.meshbus.bus.membership.Membership;
import io.meshbus.bus.protocol.BusContext;
import io.meshbus.bus.protocol.LocalPeerIds;
import io.meshbus.bus.request.HostCalls;
import io.meshbus.bus.request.PendingOps;

/**
 * The directory's rooms over one {@link Directory}: {@link DirectoryReplication} (entries and their moves),
 * {@link PeerLocator} (lookups and the cache) and {@link Resolvers}. Built together because they share the
 * directory's data, which nothing else touches.
 */
public final class PeerDirectory {
    private final DirectoryReplication replication;
    private final PeerLocator locator;
    private final Resolvers resolvers;

    /**
     * @param lost            told when a local peer lost its id to a peer elsewhere
     * @param nativeDirectory the backplane when it holds the directory itself, else null
     */
    public PeerDirectory(BusContext ctx, Membership membership, LocalPeerIds local, PendingOps pending,
                         HostCalls calls, DirectoryReplication.IdLost lost, Backplane nativeDirectory) {
        Directory directory = new Directory(ctx.id(), ctx.options().directoryReplicas(),
                ctx.options().directoryCacheSize());
        this.replication = new DirectoryReplication(ctx, directory, membership, local, pending, calls, lost,
                nativeDirectory);
        this.resolvers = new Resolvers(ctx, membership, local, calls);
        this.locator = new PeerLocator(ctx, directory, membership, local, pending, resolvers, nativeDirectory);
        membership.addListener(replication);
        membership.addListener(resolvers);
    }

    public DirectoryReplication replication() {
        return replication;
    }

    public PeerLocator locator() {
        return locator;
    }

    public Resolvers resolvers() {
        return resolvers;
    }
}
