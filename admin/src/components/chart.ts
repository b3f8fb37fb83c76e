// ECharts with only the pieces the admin draws (line and bar charts on a
// canvas), so the bundle carries no more of it than that.
import { use } from "echarts/core";
import { LineChart, BarChart } from "echarts/charts";
import { GridComponent, TooltipComponent, LegendComponent } from "echarts/components";
import { CanvasRenderer } from "echarts/renderers";
import VChart from "vue-echarts";

use([LineChart, BarChart, GridComponent, TooltipComponent, LegendComponent, CanvasRenderer]);

export { VChart };

/** Fen -> yuan for an axis (display only). */
export function yuan(fenValue: number): number {
  return Math.round(fenValue) / 100;
}
