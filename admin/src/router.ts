import { createRouter, createWebHistory } from "vue-router";
import { can, session } from "./api/session";
import { loadMe } from "./api/me";
import { whenSignedOut } from "./api/client";

export const router = createRouter({
  history: createWebHistory("/admin/"),
  routes: [
    { path: "/login", name: "login", component: () => import("./pages/LoginPage.vue") },
    {
      path: "/",
      component: () => import("./components/AdminLayout.vue"),
      children: [
        { path: "", name: "home", component: () => import("./pages/OverviewPage.vue") },
        { path: "overview", name: "overview", component: () => import("./pages/OverviewPage.vue") },
        { path: "orders", name: "orders", component: () => import("./pages/OrdersPage.vue") },
        { path: "claims", name: "claims", component: () => import("./pages/ClaimQueue.vue") },
        { path: "exceptions", name: "exceptions", component: () => import("./pages/ExceptionQueue.vue") },
        { path: "finance/withdrawals", name: "withdrawals", component: () => import("./pages/WithdrawalQueue.vue") },
        { path: "finance/periods", name: "periods", component: () => import("./pages/SettlementPeriods.vue") },
        { path: "finance/ledger", name: "ledger", component: () => import("./pages/CommissionLedger.vue") },
        { path: "points/applications", name: "applications", component: () => import("./pages/LeaderApplications.vue") },
        { path: "points", name: "points", component: () => import("./pages/PointsPage.vue") },
        { path: "points/:point", name: "point", component: () => import("./pages/PointDetail.vue"), props: true },
        { path: "waves", name: "waves", component: () => import("./pages/WavesPage.vue") },
        { path: "products", name: "products", component: () => import("./pages/ProductsPage.vue"), props: { tab: "products" } },
        { path: "suppliers", name: "suppliers", component: () => import("./pages/ProductsPage.vue"), props: { tab: "suppliers" } },
        { path: "categories", name: "categories", component: () => import("./pages/ProductsPage.vue"), props: { tab: "categories" } },
        { path: "regions", name: "regions", component: () => import("./pages/RegionsPage.vue") },
        { path: "routes", name: "routes", component: () => import("./pages/RoutesPage.vue") },
        { path: "reports", name: "reports", component: () => import("./pages/ReportsPage.vue") },
        { path: "staff", name: "staff", component: () => import("./pages/StaffPage.vue") },
        { path: "audit", name: "audit", component: () => import("./pages/AuditLog.vue") },
      ],
    },
    { path: "/:rest(.*)*", redirect: "/" },
  ],
});

whenSignedOut(() => {
  if (router.currentRoute.value.name !== "login") {
    void router.push({ name: "login", query: { next: router.currentRoute.value.fullPath } });
  }
});

router.beforeEach(async (to) => {
  if (to.name === "login") return true;
  if (!session.token) return { name: "login", query: { next: to.fullPath } };
  if (!session.me) {
    try {
      await loadMe();
    } catch {
      return { name: "login", query: { next: to.fullPath } };
    }
  }
  // The landing page: the overview for those who see the business, else finance's queue.
  if (to.name === "home") return { name: can("view_business") ? "overview" : can("view_finance") ? "withdrawals" : "orders", replace: true };
  return true;
});
