package io.meshbus.bus;

/** The bus contract on tcp links with the fast path: listeners and request futures on the I/O thread. */
class MeshBusFastPathContractTest extends MeshBusContractTest {
    @Override
    protected HostOptions.Builder builder(String id) {
        return super.builder(id).deliverOnIoThread(true);
    }
}
