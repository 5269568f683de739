package demo

// The retailer's fixed facts: where customers live, how they find the shop,
// which warehouse serves them and which carriers deliver. Indexes into these
// slices are what the simulation stores; the names are what it writes.

var (
	regions       = []string{"north", "south", "east", "west"}
	regionWeights = []float64{0.18, 0.28, 0.31, 0.23}

	// acquisition channels (customers.channel)
	acquisitions       = []string{"organic", "paid_search", "paid_social", "referral", "marketplace", "affiliate"}
	acquisitionWeights = []float64{0.28, 0.22, 0.20, 0.10, 0.15, 0.05}
	// acquisitionLoyalty scales the chance that a customer comes back:
	// referred customers stick, marketplace shoppers drift.
	acquisitionLoyalty = []float64{1.05, 0.95, 0.9, 1.12, 0.8, 0.9}

	segments       = []string{"value", "core", "premium"}
	segmentWeights = []float64{0.38, 0.44, 0.18}
	// per segment: extra items per order (Poisson mean), median item price,
	// chance of a next order after a good first one, median days between orders
	segmentExtraItems = []float64{0.6, 1.0, 1.4}
	segmentItemPrice  = []float64{22, 30, 46}
	segmentRepeat     = []float64{0.44, 0.54, 0.64}
	segmentGapDays    = []float64{58, 44, 32}

	orderChannels = []string{"web", "app", "marketplace"}

	warehouses = []string{"reno", "memphis", "allentown"}
	// warehouseByRegion[region] are the shares of a region's orders each
	// warehouse ships; homeWarehouse is the one next door (one day nearer).
	warehouseByRegion = [][]float64{
		{0.15, 0.25, 0.60}, // north
		{0.05, 0.90, 0.05}, // south
		{0.00, 0.15, 0.85}, // east
		{0.92, 0.08, 0.00}, // west
	}
	homeWarehouse = []int{2, 1, 2, 0}

	carriers          = []string{"swiftship", "parcelgo", "postal", "metrodash"}
	carrierByRegion   = [][]float64{{0.45, 0.30, 0.20, 0.05}, {0.40, 0.35, 0.25, 0}, {0.35, 0.25, 0.20, 0.20}, {0.40, 0.30, 0.25, 0.05}}
	carrierTransit    = []int{2, 2, 3, 1}                     // service days from a nearby warehouse
	carrierSlip       = []float64{0.050, 0.075, 0.100, 0.040} // chance of at least one day over
	carrierDamageRate = []float64{0.010, 0.018, 0.014, 0.007}

	ticketCategories = []string{"where_is_my_order", "damaged", "return", "billing", "product_question", "order_change", "account"}
	ticketChannels   = []string{"email", "chat", "phone"}
	// first-response median (working hours) by ticket channel
	ticketChannelResponse = []float64{3.0, 0.2, 0.05}
	// resolution median (working hours after the first response) by category
	categoryResolution = []float64{5, 18, 20, 8, 2, 1.5, 3}

	returnReasons = []string{"damaged", "late", "wrong_item", "changed_mind", "not_as_described"}
)

const (
	catWhereIsMyOrder = iota
	catDamaged
	catReturn
	catBilling
	catProductQuestion
	catOrderChange
	catAccount
)

const (
	reasonDamaged = iota
	reasonLate
	reasonWrongItem
	reasonChangedMind
	reasonNotAsDescribed
)

const (
	chanWeb = iota
	chanApp
	chanMarketplace
)

const acqMarketplace = 4

// hourWeights is when people shop on the web (local hour 0–23): a lunch
// bump and an evening peak. The app leans further into the evening.
var hourWeights = [2][24]float64{
	{0.8, 0.5, 0.3, 0.2, 0.2, 0.3, 0.7, 1.4, 2.3, 3.2, 3.8, 4.3, 5.0, 4.9, 4.3, 4.0, 4.0, 4.2, 4.6, 5.5, 6.2, 6.0, 4.6, 2.4},
	{1.0, 0.6, 0.3, 0.2, 0.2, 0.3, 0.9, 1.6, 2.0, 2.4, 2.8, 3.2, 4.2, 3.8, 3.2, 3.0, 3.2, 3.8, 5.0, 6.8, 8.2, 8.0, 6.4, 3.2},
}

// The incidents, placed relative to the last day of data so that every
// fresh load shows them at the same distance from "today".
const (
	// A carrier outage: swiftship's network fails for a week about five
	// months before the end.
	outageCarrier         = 0 // swiftship
	outageStartBeforeEnd  = 150
	outageDays            = 7
	outageDamageIncrement = 1.5
	// A warehouse backlog: memphis runs at a third of its capacity for nine
	// days about six weeks before the end (a botched system migration), then
	// works overtime for ten days to clear it.
	backlogWarehouse       = 1 // memphis
	backlogStartBeforeEnd  = 44
	backlogDays            = 9
	backlogRecoveryDays    = 10
	backlogCapacityFactor  = 0.33
	recoveryCapacityFactor = 1.45
)
